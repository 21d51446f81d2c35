import t from 'tap'
import { eq, sql } from 'drizzle-orm'
import { supervisors, trainees } from '../src/db/schema/index.ts'
import { rows } from '../src/db/rows.ts'
import { buildTestApp, client, type Client } from './helpers/app.ts'
import { makeAccount, makeOrganization, makeSupervisor, makeTrainee } from './helpers/factories.ts'
import { isProblem } from './helpers/structure.ts'

const EPOCH = '1970-01-01T00:00:00Z'
const onServer = process.env.DATABASE_URL !== undefined

interface SyncPage { items: { id: string; name: string; active: boolean; updatedAt: string }[]; nextCursor: string | null; syncedThrough?: string }

/** One delta-sync pass, page by page, as an HR system runs it: every item, and the watermark for next time. */
async function syncPass(as: Client, path: string, since: string, limit = 2) {
  const items: SyncPage['items'] = []
  const watermarks = new Set<string>()
  let cursor: string | null = null
  do {
    const res = await as.get(path, { query: { updatedSince: since, limit: String(limit), ...(cursor ? { cursor } : {}) } })
    if (res.statusCode !== 200) throw new Error(`${path} answered ${res.statusCode}: ${res.body}`)
    const page = res.json() as SyncPage
    items.push(...page.items)
    watermarks.add(String(page.syncedThrough))
    cursor = page.nextCursor
  } while (cursor)
  return { items, ids: items.map((i) => i.id), watermarks: [...watermarks], syncedThrough: [...watermarks][0]! }
}

/** Delta sync of trainees and supervisors (updatedSince), on the database's clock, never missing a late commit. */
t.test('delta sync of people', async (t) => {
  const { app, db, database } = await buildTestApp(t)
  const org = await makeOrganization(db)
  const integrator = client(app, (await makeAccount(db, 'integrator', { organizationId: org.id })).key)
  const other = await makeOrganization(db)
  await makeTrainee(db, other.id, null)

  await t.test('a first pass from the epoch returns every visible person, oldest change first, with one watermark on every page', async (t) => {
    const made = []
    for (let i = 0; i < 5; i++) made.push(await makeTrainee(db, org.id, null))
    const pass = await syncPass(integrator, '/v1/trainees', EPOCH)
    t.same(pass.ids, made.map((m) => m.id), 'in order of change (here: creation), nothing of another organization')
    const order = pass.items.map((i) => `${i.updatedAt} ${i.id}`)
    t.same(order, [...order].sort(), 'ordered by updatedAt, then id')
    t.equal(pass.watermarks.length, 1, 'every page of a pass carries the same syncedThrough')
    t.ok(Date.parse(pass.syncedThrough) >= Date.parse(pass.items.at(-1)!.updatedAt), 'with nothing in flight, the watermark is no earlier than the last change')
  })

  await t.test('the next pass returns only what changed since, deactivations included, and an empty pass still has a watermark', async (t) => {
    const [a, b] = [await makeTrainee(db, org.id, null), await makeTrainee(db, org.id, null)]
    const first = await syncPass(integrator, '/v1/trainees', EPOCH)
    t.ok(first.ids.includes(a.id) && first.ids.includes(b.id))
    t.equal((await integrator.patch(`/v1/trainees/${a.id}`, { body: { name: 'Renamed' } })).statusCode, 200)
    t.equal((await integrator.post(`/v1/trainees/${b.id}/deactivate`)).statusCode, 200)
    const delta = await syncPass(integrator, '/v1/trainees', first.syncedThrough)
    t.same(delta.ids, [a.id, b.id], 'the rename, then the deactivation')
    t.match(delta.items, [{ id: a.id, name: 'Renamed', active: true }, { id: b.id, active: false }])
    const quiet = await integrator.get('/v1/trainees', { query: { updatedSince: delta.syncedThrough } })
    t.same(quiet.json().items, [], 'nothing changed since')
    t.match(quiet.json(), { nextCursor: null, syncedThrough: String })
    t.ok(Date.parse(quiet.json().syncedThrough) >= Date.parse(delta.syncedThrough), 'the watermark moves on')
  })

  await t.test('supervisors sync the same way', async (t) => {
    const s = await makeSupervisor(db, org.id)
    const before = await syncPass(integrator, '/v1/supervisors', EPOCH)
    t.ok(before.ids.includes(s.id))
    t.equal((await integrator.post(`/v1/supervisors/${s.id}/deactivate`)).statusCode, 200)
    const delta = await syncPass(integrator, '/v1/supervisors', before.syncedThrough)
    t.same(delta.ids, [s.id])
    t.equal(delta.items[0]!.active, false, 'the deactivation is in the delta')
  })

  await t.test('the database stamps updatedAt, whatever the writer sends', async (t) => {
    const person = await makeTrainee(db, org.id, null)
    await db.update(trainees).set({ name: 'Backdated', updatedAt: new Date('2001-01-01T00:00:00Z') }).where(eq(trainees.id, person.id))
    const [row] = await rows<{ stamped: boolean }>(db, sql`select updated_at > now() - interval '1 minute' as stamped from ${trainees} where id = ${person.id}`)
    t.equal(row!.stamped, true, 'the trigger replaced the writer\'s updated_at by the database\'s time')
    await db.update(supervisors).set({ updatedAt: new Date('2001-01-01T00:00:00Z') }).where(eq(supervisors.organizationId, org.id))
    const [sup] = await rows<{ oldest: string }>(db, sql`select min(updated_at)::text as oldest from ${supervisors} where organization_id = ${org.id}`)
    t.ok(!sup!.oldest.startsWith('2001'), 'supervisors too')
  })

  await t.test('a cursor of another kind, or without updatedSince, is refused with 400', async (t) => {
    await makeTrainee(db, org.id, null)
    const plain = (await integrator.get('/v1/trainees', { query: { limit: '1' } })).json()
    t.notOk('syncedThrough' in plain, 'a plain list carries no watermark')
    isProblem(t, await integrator.get('/v1/trainees', { query: { updatedSince: EPOCH, cursor: String(plain.nextCursor) } }), 400, 'validation', ['/query/cursor'])
    const delta = (await integrator.get('/v1/trainees', { query: { updatedSince: EPOCH, limit: '1' } })).json()
    isProblem(t, await integrator.get('/v1/trainees', { query: { cursor: String(delta.nextCursor) } }), 400, 'validation', ['/query/cursor'])
    isProblem(t, await integrator.get('/v1/trainees', { query: { updatedSince: 'yesterday' } }), 400, 'validation', ['/query/updatedSince'])
  })

  await t.test('a row changed while a pass pages through is returned again after the cursor or in the next pass', async (t) => {
    const made = [await makeTrainee(db, org.id, null), await makeTrainee(db, org.id, null), await makeTrainee(db, org.id, null)]
    const start = (await integrator.get('/v1/trainees', { query: { updatedSince: EPOCH, limit: '1' } })).json() as SyncPage
    const rest = (await syncPass(integrator, '/v1/trainees', EPOCH)).ids
    await integrator.patch(`/v1/trainees/${start.items[0]!.id}`, { body: { name: 'Moved on' } })
    const after = await syncPass(integrator, '/v1/trainees', start.syncedThrough!)
    t.ok(after.ids.includes(start.items[0]!.id), 'the change of a row already paged past comes with the next pass from the first page\'s watermark')
    t.ok(made.every((m) => rest.includes(m.id)))
  })

  // Late commits need a second connection: the server's. The embedded database has one, so nothing runs beside a sync there.
  if (!onServer) {
    await t.test('on the embedded database (one connection) the watermark is the database\'s clock at the sync', async (t) => {
      const clock = async () => Date.parse((await rows<{ now: string }>(db, sql`select to_json(clock_timestamp())#>>'{}' as now`))[0]!.now)
      const before = await clock()
      const page = (await integrator.get('/v1/trainees', { query: { updatedSince: EPOCH, limit: '1' } })).json() as SyncPage
      const after = await clock()
      const at = Date.parse(page.syncedThrough!)
      // The watermark is kept to the millisecond; the clock's microseconds are cut off alike.
      t.ok(at >= before && at <= after + 1, `syncedThrough ${page.syncedThrough} lies between the database's clock before and after the sync`)
    })
  }

  if (onServer) await t.test('a transaction that began before a sync and commits after it is caught by the next sync', async (t) => {
    const person = await makeTrainee(db, org.id, null)
    const base = (await syncPass(integrator, '/v1/trainees', EPOCH)).syncedThrough
    // The other writer: another of the service's own connections (another instance, the same role).
    let release!: () => void
    const held = new Promise<void>((resolve) => { release = resolve })
    let started!: (at: string) => void
    const begun = new Promise<string>((resolve) => { started = resolve })
    const writer = database.db.transaction(async (tx) => {
      const [now] = await rows<{ at: string }>(tx, sql`select to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at`)
      await tx.update(trainees).set({ name: 'Late commit' }).where(eq(trainees.id, person.id))
      started(now!.at)
      await held
    })
    const txStart = await begun
    const during = await syncPass(integrator, '/v1/trainees', base)
    t.notOk(during.items.some((i) => i.name === 'Late commit'), 'the sync cannot see the uncommitted change')
    t.ok(Date.parse(during.syncedThrough) <= Date.parse(txStart), `the watermark ${during.syncedThrough} is no later than the open transaction's start ${txStart}`)
    release()
    await writer
    const next = await syncPass(integrator, '/v1/trainees', during.syncedThrough)
    t.match(next.items.find((i) => i.id === person.id), { name: 'Late commit' }, 'the next sync returns the late commit')
  })

  if (onServer) await t.test('a transaction that has not written yet when the sync runs, and writes later, is caught too', async (t) => {
    const person = await makeTrainee(db, org.id, null)
    let write!: () => void
    const go = new Promise<void>((resolve) => { write = resolve })
    let ready!: () => void
    const opened = new Promise<void>((resolve) => { ready = resolve })
    let finish!: () => void
    const done = new Promise<void>((resolve) => { finish = resolve })
    const writer = database.db.transaction(async (tx) => {
      await tx.execute(sql`select 1`)
      ready()
      await go
      await tx.update(trainees).set({ name: 'Wrote after the sync' }).where(eq(trainees.id, person.id))
      await done
    })
    await opened
    const during = await syncPass(integrator, '/v1/trainees', EPOCH)
    write()
    await new Promise((resolve) => setTimeout(resolve, 50))
    finish()
    await writer
    const next = await syncPass(integrator, '/v1/trainees', during.syncedThrough)
    t.match(next.items.find((i) => i.id === person.id), { name: 'Wrote after the sync' })
  })

  if (onServer) await t.test('a writer whose start the service\'s role cannot see holds the watermark back to the server\'s start', async (t) => {
    const person = await makeTrainee(db, org.id, null)
    let release!: () => void
    const held = new Promise<void>((resolve) => { release = resolve })
    let wrote!: () => void
    const written = new Promise<void>((resolve) => { wrote = resolve })
    // `db` is the superuser here: pg_stat_activity hides its transaction's start from the service's role.
    const writer = db.transaction(async (tx) => {
      await tx.update(trainees).set({ name: 'By another role' }).where(eq(trainees.id, person.id))
      wrote()
      await held
    })
    await written
    const during = await syncPass(integrator, '/v1/trainees', EPOCH)
    const [server] = await rows<{ at: string }>(db, sql`select to_char(pg_postmaster_start_time() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at`)
    release()
    await writer
    t.equal(during.syncedThrough, server!.at, 'the watermark is the server\'s start')
    const next = await syncPass(integrator, '/v1/trainees', during.syncedThrough)
    t.match(next.items.find((i) => i.id === person.id), { name: 'By another role' })
  })
})
