import { eq, sql } from 'drizzle-orm'
import t from 'tap'
import type { Db } from '../src/db/client.ts'
import { rows } from '../src/db/rows.ts'
import { organizations } from '../src/db/schema/index.ts'
import { dailyJobs } from '../src/schedules/schedules-plugin.ts'
import { runTick, type DailyJob } from '../src/schedules/tick.ts'
import { buildTestApp } from './helpers/app.ts'
import { makeOrganization } from './helpers/factories.ts'
import { mailsTo, observationAt, secondInstance, setReminderDays, zonedWorld } from './helpers/schedules.ts'

const env = await buildTestApp(t)
const { db } = env
const other = await secondInstance(t, env)
const onServer = env.database.kind === 'postgres'

/** A job that counts its runs per organization and period in a table of the test's own. */
await db.execute(sql`create table job_log (job text, organization_id uuid, period text)`)
await db.execute(sql`grant select, insert on job_log to public`)
const counting = (name: string, o: { slow?: boolean; fail?: () => boolean } = {}): DailyJob => ({
  name,
  run: async (tx, job) => {
    await tx.execute(sql`insert into job_log values (${name}, ${job.organizationId}, ${job.today})`)
    // Long enough on a server that the other instance's claim arrives while this one is still open.
    if (o.slow && onServer) await tx.execute(sql`select pg_sleep(0.3)`)
    if (o.fail?.()) throw new Error('job failed')
  }
})
const runs = async (job: string, organizationId: string) =>
  (await rows<{ period: string }>(db, sql`select period from job_log where job = ${job} and organization_id = ${organizationId} order by period`)).map((r) => r.period)

const zoned = async (timeZone: string) => {
  const org = await makeOrganization(db)
  await db.update(organizations).set({ timeZone }).where(eq(organizations.id, org.id))
  return org
}
/** Only these organizations are active while a test runs, so counts are the test's own. */
async function only(...ids: string[]) {
  await db.execute(sql`update organizations set active = (id = any(${`{${ids.join(',')}}`}::uuid[]))`)
}
const tick = (dbOf: Db, jobs: DailyJob[], at: string, localHour = 6) => runTick({ db: dbOf, jobs, localHour }, new Date(at))

t.test('two instances ticking at once run each job once per organization and local day', async (t) => {
  const org = await zoned('Europe/London')
  await only(org.id)
  const job = counting('count-once', { slow: true })
  const [a, b] = await Promise.all([tick(env.app.db, [job], '2026-06-01T07:00:00Z'), tick(other.db, [job], '2026-06-01T07:00:00Z')])
  t.same(a.ran.length + b.ran.length, 1, 'one of the two ran it')
  t.same([...a.failed, ...b.failed], [], 'the other skipped it without an error')
  await tick(other.db, [job], '2026-06-01T20:00:00Z')
  t.same(await runs('count-once', org.id), ['2026-06-01'], 'later ticks of the same day find it done')
  await tick(env.app.db, [job], '2026-06-02T07:00:00Z')
  t.same(await runs('count-once', org.id), ['2026-06-01', '2026-06-02'], 'the next local day runs again')
})

t.test('a job that fails leaves its period unclaimed, and the next tick runs it', async (t) => {
  const org = await zoned('UTC')
  await only(org.id)
  let failing = true
  const job = counting('count-retry', { fail: () => failing })
  const first = await tick(env.app.db, [job], '2026-06-01T06:00:00Z')
  t.same(first.failed, [`count-retry ${org.id} 2026-06-01`])
  t.same(await runs('count-retry', org.id), [], 'its writes rolled back with the claim')
  failing = false
  const second = await tick(other.db, [job], '2026-06-01T06:01:00Z')
  t.same(second.ran, [`count-retry ${org.id} 2026-06-01`])
  t.same(await runs('count-retry', org.id), ['2026-06-01'])
})

t.test('organizations at UTC+14 and UTC-11/-12 get their day at different instants', async (t) => {
  const kiritimati = await zoned('Pacific/Kiritimati')
  const pagoPago = await zoned('Pacific/Pago_Pago')
  const gmt12 = await zoned('Etc/GMT+12')
  await only(kiritimati.id, pagoPago.id, gmt12.id)
  const job = counting('count-zones')
  // 16:00 UTC on 1 June is 06:00 on 2 June at UTC+14, 05:00 on 1 June at UTC-11, 04:00 at UTC-12.
  await tick(env.app.db, [job], '2026-06-01T16:00:00Z')
  t.same(await runs('count-zones', kiritimati.id), ['2026-06-02'], 'Kiritimati is already on 2 June')
  t.same(await runs('count-zones', pagoPago.id), [], 'Pago Pago is before 06:00 on 1 June')
  await tick(env.app.db, [job], '2026-06-01T17:00:00Z')
  t.same(await runs('count-zones', pagoPago.id), ['2026-06-01'], 'Pago Pago\'s 1 June starts an hour later')
  t.same(await runs('count-zones', gmt12.id), [])
  await tick(env.app.db, [job], '2026-06-01T18:00:00Z')
  t.same(await runs('count-zones', gmt12.id), ['2026-06-01'])
  t.same(await runs('count-zones', kiritimati.id), ['2026-06-02'], 'and Kiritimati ran once for its day')
})

t.test('a DST change neither skips nor doubles a day', async (t) => {
  const newYork = await zoned('America/New_York')
  await only(newYork.id)
  // Ticks every 20 minutes over three days from local midnight around each change, at hours that the change skips (02:00 on
  // 8 March does not exist) or repeats (01:00 on 1 November comes twice).
  for (const [job, from, hour, days] of [
    ['count-spring', '2026-03-07T05:00:00Z', 2, ['2026-03-07', '2026-03-08', '2026-03-09']],
    ['count-autumn', '2026-10-31T04:00:00Z', 1, ['2026-10-31', '2026-11-01', '2026-11-02']]
  ] as const) {
    const counted = counting(job)
    for (let at = Date.parse(from); at < Date.parse(from) + 3 * 86_400_000; at += 20 * 60_000) {
      await runTick({ db: env.app.db, jobs: [counted], localHour: hour }, new Date(at))
    }
    t.same(await runs(job, newYork.id), days, `${job}: each local day once`)
  }
})

t.test('deactivated organizations run no jobs', async (t) => {
  const org = await zoned('UTC')
  await only()
  await tick(env.app.db, [counting('count-inactive')], '2026-06-01T12:00:00Z')
  t.same(await runs('count-inactive', org.id), [])
})

t.test('a zone the service cannot compute in holds up its own organization only', async (t) => {
  const broken = await zoned('Atlantis/Lost')
  const fine = await zoned('UTC')
  await only(broken.id, fine.id)
  const result = await tick(env.app.db, [counting('count-broken')], '2026-06-01T12:00:00Z')
  t.same(result.failed, [`* ${broken.id} *`])
  t.same(await runs('count-broken', fine.id), ['2026-06-01'])
})

t.test('the service\'s own daily jobs: two instances queue one reminder', async (t) => {
  const w = await zonedWorld(db, 'Australia/Sydney')
  await only(w.org.id)
  await setReminderDays(db, w.program.id, { acknowledge: 3 })
  await observationAt(db, w, w.trainee.id, { status: 'submitted', sessionDate: '2026-05-20', at: '2026-05-25T01:00:00Z' })
  const jobs = dailyJobs('https://rapport.example')
  await Promise.all([tick(env.app.db, jobs, '2026-05-28T21:00:00Z'), tick(other.db, jobs, '2026-05-28T21:00:00Z')])
  const [account] = await rows<{ email: string }>(db, sql`select email from accounts where id = ${w.account.id}`)
  t.same((await mailsTo(db, account!.email)).map((m) => m.template), ['acknowledge-reminder'])
  const claims = await rows<{ job: string; period: string }>(db, sql`select job, period from schedule_runs where scope_id = ${w.org.id} order by job`)
  t.same(claims, jobs.map((j) => ({ job: j.name, period: '2026-05-29' })).sort((x, y) => x.job.localeCompare(y.job)), 'one claim per job, for Sydney\'s date')
})
