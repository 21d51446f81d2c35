import t, { type Test } from 'tap'
import { eq, sql } from 'drizzle-orm'
import type { LightMyRequestResponse } from 'fastify'
import { cohorts } from '../src/db/schema/index.ts'
import { csvRow } from '../src/lib/csv.ts'
import { buildTestApp, client } from './helpers/app.ts'
import { parseCsv, seedObservation } from './helpers/cohort-report.ts'
import { makeAccount, makeCohort, makeOrganization, makeSupervisor, makeTrainee, makeWorld } from './helpers/factories.ts'
import { pointers } from './helpers/observations.ts'

const HEADER = (n: number) => [
  'Trainee', 'Email', 'Organization', 'External HR ID', 'Observations', 'Acknowledged', 'Distinct supervisors',
  'Last observation', 'Days since last observation', `No observation in last ${n} days`, 'Safe environment', 'Active listening', 'Overall'
]

/** The CSV body as records, after checking the BOM and the header. */
function table(tt: Test, res: LightMyRequestResponse, inactiveDays = 30) {
  tt.equal(res.statusCode, 200, res.body.slice(0, 300))
  tt.ok(res.body.startsWith('\uFEFF'), 'starts with a UTF-8 byte-order mark')
  const [header, ...rows] = parseCsv(res.body.slice(1))
  tt.same(header!.slice(0, -2), HEADER(inactiveDays), 'header names every column, one per skill area of the pinned rubric')
  tt.match(header!.slice(-2), [/^Certificate eligibility \(as of \d{4}-\d{2}-\d{2}\)$/, 'Eligibility rules not met'], 'then eligibility, as of the report\'s day')
  return rows
}

const byName = (rows: string[][]) => new Map(rows.map((r) => [r[0]!, r]))

t.test('cohort report CSV', async (t) => {
  const { app, db, adminKey } = await buildTestApp(t)
  const w = await makeWorld(db)
  await db.update(cohorts).set({ name: 'Été 2024, Group/A' }).where(eq(cohorts.id, w.cohort.id))
  const base = { programId: w.program.id, rubricVersionId: w.rubricVersion.id }
  const coordinator = client(app, w.keys.coordinator)
  const url = `/v1/cohorts/${w.cohort.id}/report.csv`
  const secondSupervisor = await makeSupervisor(db, w.org.id)
  await db.execute(sql`update trainees set name = 'Ada Alpha', external_hr_id = 'HR-7' where id = ${w.trainee.id}`)
  await db.execute(sql`update trainees set name = 'Bo Beta' where id = ${w.otherTrainee.id}`)

  await seedObservation(db, { ...base, traineeId: w.trainee.id, supervisorId: w.supervisor.id, sessionDate: '2024-03-01',
    levels: { 'eye-contact': 2, 'body-language': 4, paraphrasing: 1, 'non-verbal': null } })
  await seedObservation(db, { ...base, traineeId: w.trainee.id, supervisorId: secondSupervisor.id, sessionDate: '2024-05-01', status: 'acknowledged',
    levels: { 'eye-contact': 4, 'body-language': 2, paraphrasing: 3, 'non-verbal': 4 } })
  // Drafts are not observations yet, and an observation under another programme is not this cohort's.
  await seedObservation(db, { ...base, traineeId: w.trainee.id, supervisorId: w.supervisor.id, sessionDate: '2024-06-01', status: 'draft',
    levels: { 'eye-contact': 1 } })
  await seedObservation(db, { ...base, programId: w.otherProgram.id, traineeId: w.trainee.id, supervisorId: w.supervisor.id, sessionDate: '2024-06-02',
    levels: { 'eye-contact': 1 } })
  await seedObservation(db, { ...base, traineeId: w.otherTrainee.id, supervisorId: w.otherSupervisor.id, sessionDate: '2024-04-15',
    levels: { 'eye-contact': 1, 'body-language': 1, paraphrasing: 2, 'non-verbal': null } })
  // Deactivated trainees and trainees of other cohorts are not listed.
  await makeTrainee(db, w.org.id, w.cohort.id, { name: 'Gone Trainee', active: false })
  await makeTrainee(db, w.org.id, (await makeCohort(db, w.program.id)).id, { name: 'Elsewhere Trainee' })

  await t.test('one row per active trainee with counts, distinct supervisors and the latest observation\'s scores', async (t) => {
    const res = await coordinator.get(url, { query: { asOf: '2024-05-31' } })
    t.equal(res.headers['content-type'], 'text/csv; charset=utf-8')
    t.equal(res.headers['content-disposition'],
      'attachment; filename="cohort-Ete-2024-Group-A-2024-05-31.csv"; filename*=UTF-8\'\'cohort-%C3%89t%C3%A9%202024%2C%20Group%2FA-2024-05-31.csv')
    const rows = table(t, res)
    t.same(rows.map((r) => r[0]), ['Ada Alpha', 'Bo Beta'], 'active trainees of this cohort only, in name order')
    // Latest = 2024-05-01: safety (4×1 + 2×3) / 4 = 2.5; listening (3 + 4) / 2 = 3.5; overall (2.5×2 + 3.5) / 3 = 2.83.
    t.same(byName(rows).get('Ada Alpha')!.slice(2), [w.org.name, 'HR-7', '2', '1', '2', '2024-05-01', '30', 'no', '2.5', '3.5', '2.83', 'no rules set', ''])
    // Not observed is left out: listening is paraphrasing alone.
    t.same(byName(rows).get('Bo Beta')!.slice(2), [w.otherOrg.name, '', '1', '0', '1', '2024-04-15', '46', 'yes', '1', '2', '1.33', 'no rules set', ''])
  })

  await t.test('the inactivity flag turns on one day past N days', async (t) => {
    const at = async (inactiveDays: number, asOf: string) =>
      byName(table(t, await coordinator.get(url, { query: { asOf, inactiveDays: String(inactiveDays) } }), inactiveDays)).get('Ada Alpha')!.slice(8, 10)
    t.same(await at(30, '2024-05-31'), ['30', 'no'], 'last observation exactly N days ago still counts')
    t.same(await at(30, '2024-06-01'), ['31', 'yes'], 'N + 1 days ago is flagged')
    t.same(await at(7, '2024-05-08'), ['7', 'no'])
    t.same(await at(7, '2024-05-09'), ['8', 'yes'])
  })

  await t.test('filters by organization and by session date range', async (t) => {
    const org = table(t, await coordinator.get(url, { query: { organizationId: w.otherOrg.id, asOf: '2024-05-31' } }))
    t.same(org.map((r) => r[0]), ['Bo Beta'])
    const march = byName(table(t, await coordinator.get(url, { query: { from: '2024-01-01', to: '2024-03-01', asOf: '2024-03-31' } })))
    // Only the 2024-03-01 session: safety (2 + 4×3) / 4 = 3.5, listening 1, overall (7 + 1) / 3 = 2.67.
    t.same(march.get('Ada Alpha')!.slice(4), ['1', '0', '1', '2024-03-01', '30', 'no', '3.5', '1', '2.67', 'no rules set', ''])
    t.same(march.get('Bo Beta')!.slice(4), ['0', '0', '0', '', '', 'yes', '', '', '', 'no rules set', ''], 'no observation in range: empty cells, flagged')
    const sameDay = byName(table(t, await coordinator.get(url, { query: { from: '2024-05-01', to: '2024-05-01' } })))
    t.equal(sameDay.get('Ada Alpha')![4], '1', 'from and to are inclusive')
  })

  await t.test('refuses invalid filters with pointers', async (t) => {
    const backwards = await coordinator.get(url, { query: { from: '2024-05-02', to: '2024-05-01' } })
    t.equal(backwards.statusCode, 400)
    t.same(pointers(backwards), ['/query/to'])
    const bad = await coordinator.get(url, { query: { inactiveDays: '0', from: 'yesterday', organizationId: 'x', extra: '1' } })
    t.equal(bad.statusCode, 400)
    t.same(pointers(bad), ['/query/extra', '/query/from', '/query/inactiveDays', '/query/organizationId'], 'every bad parameter is named')
  })

  await t.test('quotes per RFC 4180, neutralises formulas and keeps Unicode intact', async (t) => {
    const names = ['Doe, "Jay"\nSmith', '=SUM(A1)', '+1', '-2', '@cmd', '\tX', '\rX', 'Zoë Ñúñez', 'Łukasz Żółć', 'Đặng Thị Hương', 'Ольга']
    for (const name of names) await makeTrainee(db, w.org.id, w.cohort.id, { name, externalHrId: name === '+1' ? '=HYPERLINK("x")' : null })
    const res = await coordinator.get(url)
    const rows = byName(table(t, res))
    for (const name of ['Doe, "Jay"\nSmith', 'Zoë Ñúñez', 'Łukasz Żółć', 'Đặng Thị Hương', 'Ольга']) t.ok(rows.has(name), `${JSON.stringify(name)} round-trips`)
    for (const name of ['=SUM(A1)', '+1', '-2', '@cmd', '\tX', '\rX']) t.ok(rows.has(`'${name}`), `${JSON.stringify(name)} gets a leading '`)
    t.equal(rows.get("'+1")![3], '\'=HYPERLINK("x")', 'every text cell is neutralised, not only names')
    t.ok(res.body.includes('"Doe, ""Jay""\nSmith"'), 'quotes doubled inside a quoted field')
    t.ok(res.body.includes('"\'\rX"'), 'a CR inside a field is quoted')
    t.equal(csvRow([-2, 'x', null, 1.5]), '-2,x,,1.5\r\n', 'numbers stay numbers')
  })

  await t.test('admin and coordinators of the programme only', async (t) => {
    t.equal((await client(app, adminKey).get(url)).statusCode, 200)
    const other = await client(app, w.keys.otherCoordinator).get(url)
    t.equal(other.statusCode, 404, 'a cohort outside the coordinator\'s programmes is not found')
    t.equal(other.headers['content-type'], 'application/problem+json; charset=utf-8')
    for (const role of ['supervisor', 'trainee', 'integrator'] as const) {
      t.equal((await client(app, w.keys[role]).get(url)).statusCode, 403, `${role} is refused`)
    }
    t.equal((await coordinator.get('/v1/cohorts/00000000-0000-4000-8000-000000000000/report.csv')).statusCode, 404)
    const noPrograms = (await makeAccount(db, 'coordinator')).key
    t.equal((await client(app, noPrograms).get(url)).statusCode, 404)
  })

  await t.test('weakest criteria: mean over each trainee\'s latest observation, lowest first', async (t) => {
    const res = await coordinator.get(`/v1/cohorts/${w.cohort.id}/report/weakest-criteria`, { query: { to: '2024-05-31' } })
    t.equal(res.statusCode, 200, res.body)
    const items = (res.json() as { items: Array<{ criterionKey: string; meanLevel: number; trainees: number; areaTitle: string }> }).items
    t.same(items.map((i) => [i.criterionKey, i.meanLevel, i.trainees]), [
      ['body-language', 1.5, 2], ['eye-contact', 2.5, 2], ['paraphrasing', 2.5, 2], ['non-verbal', 4, 1]
    ])
    t.equal(items[0]!.areaTitle, 'Safe environment')
    t.equal((await client(app, w.keys.otherCoordinator).get(`/v1/cohorts/${w.cohort.id}/report/weakest-criteria`)).statusCode, 404)
    t.equal((await client(app, w.keys.supervisor).get(`/v1/cohorts/${w.cohort.id}/report/weakest-criteria`)).statusCode, 403)
  })

  await t.test('each trainee\'s certificate eligibility, with the rules not met in words', async (t) => {
    const rulesUrl = `/v1/programs/${w.program.id}/eligibility-rules`
    const etag = String((await coordinator.get(rulesUrl)).headers.etag)
    const set = await coordinator.put(rulesUrl, { headers: { 'if-match': etag }, body: { rules: [{ kind: 'minObservations', count: 2 }, { kind: 'minSupervisors', count: 2 }] } })
    t.equal(set.statusCode, 200, set.body)
    const rows = byName(table(t, await coordinator.get(url, { query: { asOf: '2024-05-31' } })))
    t.same(rows.get('Ada Alpha')!.slice(-2), ['eligible', ''], 'two observations by two supervisors')
    t.same(rows.get('Bo Beta')!.slice(-2), ['not eligible', 'At least 2 submitted observations; Observed by at least 2 different supervisors'])
    const early = byName(table(t, await coordinator.get(url, { query: { asOf: '2024-04-01' } })))
    t.same(early.get('Ada Alpha')!.slice(-2), ['not eligible', 'At least 2 submitted observations; Observed by at least 2 different supervisors'], 'as of an earlier day, sessions after it do not count')
  })

  await t.test('pages through cohorts larger than one batch, ties on name included', async (t) => {
    const big = await makeCohort(db, w.program.id)
    const org = await makeOrganization(db)
    await db.execute(sql`insert into trainees (organization_id, cohort_id, name, email)
      select ${org.id}, ${big.id}, case when g % 2 = 0 then 'Same Name' else 'Name ' || lpad(g::text, 5, '0') end, 'big-' || g || '@example.org'
      from generate_series(1, 2345) g`)
    const rows = table(t, await coordinator.get(`/v1/cohorts/${big.id}/report.csv`))
    t.equal(rows.length, 2345, 'every trainee once')
    t.equal(new Set(rows.map((r) => r[1])).size, 2345, 'no trainee twice')
  })
})
