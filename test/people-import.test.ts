import t, { type Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { and, count, eq } from 'drizzle-orm'
import { openDatabase } from '../src/db/client.ts'
import { accounts, auditEvents, organizations, supervisors, trainees } from '../src/db/schema/index.ts'
import { buildTestApp, client } from './helpers/app.ts'
import { makeAccount, makeCohort, makeOrganization, makeTrainee, makeWorld } from './helpers/factories.ts'
import { isProblem } from './helpers/structure.ts'

/** A problem+json answer of this status and code (the cause; isProblem checks the kind). */
function hasCode(t: Test, res: LightMyRequestResponse, status: number, code: string) {
  t.equal(res.statusCode, status, `answers ${status} (${res.body.slice(0, 200)})`)
  t.match(res.headers['content-type'], /application\/problem\+json/)
  t.equal((res.json() as { code: string }).code, code)
}

const HEADER = 'externalHrId,name,email,role,discipline,cohortId,active'
const csv = (...lines: string[]) => [HEADER, ...lines].join('\r\n') + '\r\n'

t.test('bulk import of people from HR exports', async (t) => {
  // The JSON body limit is small here, the import's larger: the route's own limit is what lets a big file in.
  const { app, db, adminKey } = await buildTestApp(t, { BODY_LIMIT_BYTES: '4096', IMPORT_MAX_BYTES: '65536' })
  const w = await makeWorld(db)
  const url = (orgId: string, query = '') => `/v1/organizations/${orgId}/people/imports${query}`
  const send = (key: string, orgId: string, body: string, o: { query?: string; type?: string } = {}) => app.inject({
    method: 'POST', url: url(orgId, o.query), payload: body,
    headers: { authorization: `Bearer ${key}`, 'content-type': o.type ?? 'text/csv; charset=utf-8' }
  })
  const people = async (orgId: string) => ({
    trainees: (await db.select({ n: count() }).from(trainees).where(eq(trainees.organizationId, orgId)))[0]!.n,
    supervisors: (await db.select({ n: count() }).from(supervisors).where(eq(supervisors.organizationId, orgId)))[0]!.n
  })

  await t.test('a dry run answers the plan line by line and writes nothing; BOM, quoted commas and newlines are read', async (t) => {
    const org = await makeOrganization(db)
    const body = '\uFEFF' + csv(
      '012345,"Okafor, Ada",ada@example.org,trainee,nursing,,',
      '12345,"Ben ""B"" Lind",ben@example.org,Trainee,"social\nwork",,true',
      '',
      'S-1,Chen Jun,chen@example.org,supervisor,,,'
    )
    const res = await send(adminKey, org.id, body, { query: '?dryRun=true' })
    t.equal(res.statusCode, 200, res.body)
    const report = res.json()
    t.match(report, { organizationId: org.id, dryRun: true, applied: false, mode: 'upsert', totals: { rows: 3, create: 3, error: 0 } })
    t.same(report.rows.map((r: { line: number; externalHrId: string; role: string; action: string }) => [r.line, r.externalHrId, r.role, r.action]), [
      [2, '012345', 'trainee', 'create'], [3, '12345', 'trainee', 'create'], [6, 'S-1', 'supervisor', 'create']
    ], 'lines count the header and the quoted newline; the empty line is skipped')
    t.same(await people(org.id), { trainees: 0, supervisors: 0 }, 'nothing written')

    const plain = await send(adminKey, org.id, csv('A1,Ann,ann@example.org,trainee,,,'), { query: '?dryRun=true' })
    t.equal(plain.json().rows[0].line, 2, 'without a BOM the same')
  })

  await t.test('applying creates, then updates and leaves unchanged; HR ids stay text; every change audited', async (t) => {
    const org = await makeOrganization(db)
    const first = await send(adminKey, org.id, csv(
      '012345,"Okafor, Ada",ada@example.org,trainee,nursing,,',
      '12345,Ben Lind,ben@example.org,trainee,,,',
      '000789,Chen Jun,chen@example.org,supervisor,psychology,,'
    ))
    t.equal(first.statusCode, 200, first.body)
    t.match(first.json(), { applied: true, totals: { create: 3 } })
    const stored = await db.select().from(trainees).where(eq(trainees.organizationId, org.id)).orderBy(trainees.externalHrId)
    t.same(stored.map((r) => [r.externalHrId, r.name]), [['012345', 'Okafor, Ada'], ['12345', 'Ben Lind']], '012345 and 12345 are two people')
    const [chen] = await db.select().from(supervisors).where(eq(supervisors.organizationId, org.id))
    t.match(chen, { externalHrId: '000789', discipline: 'psychology', active: true })
    t.equal(first.json().rows[2].personId, chen!.id, 'the report names the created person')

    const second = await send(adminKey, org.id, csv(
      '012345,"Okafor, Ada",ada.okafor@example.org,trainee,,,',
      '12345,Ben Lind,ben@example.org,trainee,,,',
      '000789,Chen Jun,chen@example.org,supervisor,psychology,,false'
    ))
    t.equal(second.statusCode, 200, second.body)
    t.same(second.json().rows.map((r: { action: string; message: string }) => [r.action, r.message]), [
      ['update', 'changes email'], ['unchanged', 'no change'], ['deactivate', 'deactivated']
    ], 'an empty discipline cell leaves the discipline alone')
    const ada = stored.find((r) => r.externalHrId === '012345')!
    const [adaNow] = await db.select().from(trainees).where(eq(trainees.id, ada.id))
    t.match(adaNow, { email: 'ada.okafor@example.org', discipline: 'nursing', revision: 2 })

    const trail = await db.select().from(auditEvents).where(eq(auditEvents.objectId, ada.id)).orderBy(auditEvents.id)
    t.same(trail.map((e) => e.action), ['trainee.create', 'trainee.update'])
    t.match(trail[1]!.changes, { email: { from: 'ada@example.org', to: 'ada.okafor@example.org' }, source: 'import' })
    const imports = await db.select().from(auditEvents).where(and(eq(auditEvents.action, 'people.import'), eq(auditEvents.objectId, org.id))).orderBy(auditEvents.id)
    t.equal(imports.length, 2, 'each import audited once')
    t.match(imports[1]!.changes, { format: 'csv', mode: 'upsert', totals: { rows: 3, update: 1, unchanged: 1, deactivate: 1 } })
  })

  await t.test('JSON rows import alike; a number as HR id is an error row, never 12345 for 012345', async (t) => {
    const org = await makeOrganization(db)
    const rows = [{ externalHrId: '007', name: 'Dee', email: 'dee@example.org', role: 'trainee', active: true, discipline: null }]
    const ok = await send(adminKey, org.id, JSON.stringify(rows), { type: 'application/json' })
    t.equal(ok.statusCode, 200, ok.body)
    t.match(ok.json(), { applied: true, totals: { create: 1 }, rows: [{ line: 1, externalHrId: '007', action: 'create' }] })
    const bad = await send(adminKey, org.id, JSON.stringify([{ externalHrId: 12345, name: 'E', email: 'e@example.org', role: 'trainee' }]), { type: 'application/json', query: '?dryRun=true' })
    t.match(bad.json().rows[0], { line: 1, action: 'error', field: 'externalHrId', message: /kept exactly as written/ })
  })

  await t.test('one error row: nothing changes, and the answer names the line and the column', async (t) => {
    const org = await makeOrganization(db)
    await makeTrainee(db, org.id, null, { externalHrId: 'T-9', email: 'taken@example.org' })
    const before = await people(org.id)
    const res = await send(adminKey, org.id, csv(
      'N-1,New One,new1@example.org,trainee,,,',
      'N-2,,new2@example.org,trainee,,,',
      'N-3,Three,not-an-email,trainee,,,',
      'N-4,Four,four@example.org,coordinator,,,',
      'N-1,Again,again@example.org,trainee,,,',
      'N-5,Five,TAKEN@example.org,trainee,,,',
      `N-6,Six,six@example.org,trainee,,${w.cohort.id},`,
      'T-9,Nine,taken@example.org,supervisor,,,'
    ))
    hasCode(t, res, 422, 'import-rows-invalid')
    const body = res.json()
    t.match(body.report, { applied: false, totals: { rows: 8, create: 1, error: 7 } })
    t.same(body.report.rows.filter((r: { action: string }) => r.action === 'error').map((r: { line: number; field: string }) => [r.line, r.field]), [
      [3, 'name'], [4, 'email'], [5, 'role'], [6, 'externalHrId'], [7, 'email'], [8, 'cohortId'], [9, 'role']
    ])
    t.match(body.report.rows[4].message, /appears already on line 2/)
    t.match(body.report.rows[5].message, /email of another trainee \(HR id T-9\)/)
    t.match(body.report.rows[6].message, /program does not serve/, 'a cohort of a program not serving the organization')
    t.match(body.errors[0], { pointer: '/line/3/name', detail: 'line 3: name is missing' })
    t.same(await people(org.id), before, 'nothing changed')

    const dry = await send(adminKey, org.id, csv('N-2,,new2@example.org,trainee,,,'), { query: '?dryRun=true' })
    t.equal(dry.statusCode, 200, 'a dry run answers the same report with 200')
    t.equal(dry.json().rows[0].action, 'error')
  })

  await t.test('full sync deactivates the absent people of the roles in the file, and their accounts', async (t) => {
    const org = await makeOrganization(db)
    const stay = await makeTrainee(db, org.id, null, { externalHrId: 'A' })
    const gone = await makeTrainee(db, org.id, null, { externalHrId: 'B' })
    const noHrId = await makeTrainee(db, org.id, null)
    const { account } = await makeAccount(db, 'trainee', { traineeId: gone.id })
    const res = await send(adminKey, org.id, csv(`A,${stay.name},${stay.email},trainee,,,`), { query: '?mode=full' })
    t.equal(res.statusCode, 200, res.body)
    t.match(res.json(), { mode: 'full', totals: { rows: 1, unchanged: 1, deactivate: 1 } })
    t.match(res.json().rows[1], { line: null, externalHrId: 'B', action: 'deactivate', personId: gone.id })
    const state = async (id: string) => (await db.select({ active: trainees.active }).from(trainees).where(eq(trainees.id, id)))[0]!.active
    t.equal(await state(gone.id), false)
    t.equal(await state(noHrId.id), true, 'a person without an HR id is not the HR system\'s to retire')
    t.equal((await db.select({ active: accounts.active }).from(accounts).where(eq(accounts.id, account.id)))[0]!.active, false, 'the account ends too')
    const same = await send(adminKey, org.id, csv(`A,${stay.name},${stay.email},trainee,,,`), { query: '?fullSync=true' })
    t.match(same.json().totals, { unchanged: 1, deactivate: 0 }, 'fullSync=true is the same mode; the deactivated stay so')
  })

  await t.test('the import has its own body limit: larger than BODY_LIMIT_BYTES is accepted, beyond IMPORT_MAX_BYTES is 413', async (t) => {
    const org = await makeOrganization(db)
    const lines = Array.from({ length: 300 }, (_, i) => `H${i},Person ${i},p${i}@example.org,trainee,,,`)
    const big = csv(...lines)
    t.ok(big.length > 4096 && big.length < 65536)
    const ok = await send(adminKey, org.id, big, { query: '?dryRun=true' })
    t.equal(ok.statusCode, 200, ok.body)
    t.equal(ok.json().totals.create, 300)
    const tooBig = await send(adminKey, org.id, csv(...lines, ...lines, ...lines, ...lines, ...lines), { query: '?dryRun=true' })
    hasCode(t, tooBig, 413, 'import-too-large')
    const streamed = await app.inject({
      method: 'POST', url: url(org.id, '?dryRun=true'), payload: Readable.from([big, big, big, big, big].map((part) => Buffer.from(part))),
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'text/csv', 'transfer-encoding': 'chunked' }
    })
    hasCode(t, streamed, 413, 'import-too-large')
    const elsewhere = await client(app, adminKey).post('/v1/trainees', { body: { organizationId: org.id, name: 'x'.repeat(5000), email: 'x@example.org' } })
    isProblem(t, elsewhere, 413, 'payload-too-large', undefined, 'other routes keep BODY_LIMIT_BYTES')
    const csvElsewhere = await app.inject({ method: 'POST', url: '/v1/trainees', payload: 'a,b', headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'text/csv' } })
    t.equal(csvElsewhere.statusCode, 415, 'no other route takes CSV')
    hasCode(t, await send(adminKey, org.id, 'hello', { type: 'text/plain' }), 415, 'import-media-type')
    hasCode(t, await send(adminKey, org.id, 'name,shoeSize\r\nA,42\r\n'), 400, 'import-file-invalid')
  })

  await t.test('who may import: the organization\'s integrator and coordinators of programs serving it; others get 404', async (t) => {
    const row = (id: string) => csv(`${id},Person ${id},${id.toLowerCase()}@example.org,trainee,,${w.cohort.id},`)
    isProblem(t, await send(w.keys.otherCoordinator, w.org.id, row('X1')), 404, 'not-found', undefined, 'a coordinator of a program not serving it')
    isProblem(t, await send(w.keys.otherIntegrator, w.org.id, row('X2')), 404, 'not-found', undefined, 'another organization\'s integrator')
    t.equal((await send(w.keys.supervisor, w.org.id, row('X3'))).statusCode, 403, 'a supervisor never imports')
    const byCoordinator = await send(w.keys.coordinator, w.org.id, row('C1'))
    t.equal(byCoordinator.statusCode, 200, byCoordinator.body)
    const unplaced = await send(w.keys.coordinator, w.org.id, csv('C2,Unplaced,c2@example.org,trainee,,,'), { query: '?dryRun=true' })
    t.match(unplaced.json().rows[0], { action: 'error', field: 'cohortId', message: /coordinator places each trainee in a cohort/ })
    const otherCohort = await makeCohort(db, w.otherProgram.id)
    const invisible = await send(w.keys.coordinator, w.org.id, csv(`C3,Three,c3@example.org,trainee,,${otherCohort.id},`), { query: '?dryRun=true' })
    t.match(invisible.json().rows[0], { action: 'error', field: 'cohortId', message: /not visible to you/ })
    const byIntegrator = await send(w.keys.integrator, w.org.id, csv('I1,Integrated,i1@example.org,supervisor,,,'))
    t.equal(byIntegrator.statusCode, 200, byIntegrator.body)
    const placedByIntegrator = await send(w.keys.integrator, w.org.id, row('I2'), { query: '?dryRun=true' })
    t.match(placedByIntegrator.json().rows[0], { action: 'create' }, 'an integrator places in a cohort of a program serving its organization (the trainees\' own rule)')
    t.equal((await db.select({ n: count() }).from(organizations).where(eq(organizations.id, w.org.id)))[0]!.n, 1)
  })
})

t.test('npm run people:import prints the report', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rapport-import-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  // The CLI runs on an embedded database of its own, prepared here with one organization.
  const database = await openDatabase({ dataDir: join(dir, 'data') })
  await database.migrate()
  const org = await makeOrganization(database.db)
  await database.close()
  // The sample the README points to, so it is proven to import.
  const file = join(import.meta.dirname, '..', 'docs', 'people-import-sample.csv')
  const env: Record<string, string | undefined> = { ...process.env, DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'silent' }
  delete env.DATABASE_URL
  const run = (args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/import-people.ts', ...args], { cwd: join(import.meta.dirname, '..'), env, timeout: 100_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }))
  })
  const result = await run(['--organization', org.id, file])
  t.equal(result.code, 0, result.stderr)
  t.match(result.stdout, /^\s+2 {2}create {4}.*012345 .*new trainee$/m)
  t.match(result.stdout, /^\s+4 {2}create {6}supervisor.*000789 .*new supervisor$/m)
  t.match(result.stdout, /4 rows: 4 create, 0 update, 0 unchanged, 0 deactivate, 0 error \(applied\)/)
  const again = await run(['--organization', org.id, '--dry-run', file])
  t.match(again.stdout, /4 rows: 0 create, 0 update, 4 unchanged, 0 deactivate, 0 error \(dry run, nothing written\)/, 'the import was committed')
})
