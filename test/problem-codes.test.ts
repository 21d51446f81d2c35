import { readFileSync } from 'node:fs'
import t from 'tap'
import { sql } from 'drizzle-orm'
import type { FastifyError, FastifyRequest, LightMyRequestResponse } from 'fastify'
import { CAUSES } from '../src/errors.ts'
import { problemOf } from '../src/plugins/errors.ts'
import { testRubric } from './fixtures/rubric.ts'
import { buildTestApp, client } from './helpers/app.ts'
import { makeWorld } from './helpers/factories.ts'

interface Row { code: string; type: string; status: number }

/** The body rows of the first README table at or after `heading`, each as its cells (code spans unwrapped). */
function readmeTable(heading: string): string[][] {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const from = readme.indexOf(heading)
  if (from < 0) throw new Error(`README.md has no "${heading}"`)
  const lines = readme.slice(from).split('\n')
  const table = lines.slice(lines.findIndex((l) => l.startsWith('|')))
  return table.slice(0, table.findIndex((l) => !l.startsWith('|')) >>> 0).slice(2)
    .map((l) => l.split('|').slice(1, -1).map((cell) => cell.trim().replace(/^`|`$/g, '')))
}

const causes = Object.entries(CAUSES).map(([code, c]): Row => ({ code, type: `/problems/${c.kind}`, status: c.status }))

t.test('the README lists every problem code of the catalog, and no other', async (t) => {
  const documented: Row[] = readmeTable('### Problem codes').map(([code = '', type = '', status = '']) => ({ code, type, status: Number(status) }))
  const byCode = (rows: Row[]) => [...rows].sort((a, b) => a.code.localeCompare(b.code))
  t.same(documented.map((r) => r.code).filter((c, i, all) => all.indexOf(c) !== i), [], 'no code listed twice')
  t.same(causes.map((r) => r.code).filter((c) => !documented.some((d) => d.code === c)), [], 'every code in src/errors.ts is in the README')
  t.same(documented.map((r) => r.code).filter((c) => !(c in CAUSES)), [], 'the README lists no code that does not exist')
  t.same(byCode(documented), byCode(causes), 'each with its type and status')
})

t.test('the README\'s table of kinds names exactly the kinds the codes use', async (t) => {
  const kinds = readmeTable('| kind (`type`) |').map(([type = '', status = '']) => `${type} ${status}`).sort()
  const used = [...new Set(causes.map((c) => c.type))].map((type) => {
    const statuses = [...new Set(causes.filter((c) => c.type === type).map((c) => c.status))]
    // A kind's status is that of its general cause when codes of it differ (none do today).
    return `${type} ${statuses.length === 1 ? statuses[0] : CAUSES[type.slice('/problems/'.length) as keyof typeof CAUSES]?.status}`
  }).sort()
  t.same(kinds, used)
})

t.test('answers carry the code of their cause', async (t) => {
  const { app, db, adminKey } = await buildTestApp(t, { BODY_LIMIT_BYTES: '20000' })
  const w = await makeWorld(db)
  const admin = client(app, adminKey)
  const expect = (res: LightMyRequestResponse, code: keyof typeof CAUSES, what: string) => {
    const cause = CAUSES[code]
    t.equal(res.statusCode, cause.status, `${what}: ${cause.status} (${res.body.slice(0, 160)})`)
    t.match(res.headers['content-type'], /^application\/problem\+json/, `${what}: problem+json`)
    t.match(res.json(), { type: `/problems/${cause.kind}`, code, status: cause.status, title: cause.title }, `${what}: code ${code}`)
  }
  const json = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' }

  expect(await admin.get('/v1/organizations/not-a-uuid'), 'validation', 'a malformed id')
  expect(await app.inject({ method: 'POST', url: '/v1/organizations', headers: json, payload: '{"name": ' }), 'malformed-body', 'broken JSON')
  expect(await app.inject({ method: 'POST', url: '/v1/organizations', headers: json, payload: JSON.stringify({ name: 'x'.repeat(30_000) }) }), 'payload-too-large', 'a huge body')
  expect(await app.inject({ method: 'POST', url: '/v1/organizations', headers: { ...json, 'content-type': 'application/xml' }, payload: '<x/>' }), 'unsupported-media-type', 'XML')
  expect(await client(app, null).get('/v1/organizations'), 'unauthorized', 'no key')
  expect(await client(app, w.keys.supervisor).post('/v1/rubrics', { body: { key: 'listening', definition: testRubric } }), 'role-not-allowed', 'a supervisor writing a rubric')
  expect(await admin.get('/v1/organizations/00000000-0000-4000-8000-000000000000'), 'not-found', 'an unknown id')
  expect(await app.inject({ url: '/v1/no-such-thing' }), 'route-not-found', 'an unknown path')

  t.equal((await admin.post('/v1/rubrics', { body: { key: 'listening', definition: testRubric, publish: true } })).statusCode, 201, 'a rubric is published')
  expect(await admin.post('/v1/rubrics', { body: { key: 'listening', definition: testRubric } }), 'rubric-key-taken', 'the same key again')
  expect(await admin.patch('/v1/rubrics/listening/versions/1', { body: { definition: { ...testRubric, title: 'Changed' } } }), 'rubric-version-published', 'changing a published version')
  expect(await admin.post('/v1/rubrics/listening/versions', { body: { definition: testRubric, publish: true } }), 'rubric-version-unchanged', 'publishing the same definition')
  t.equal((await admin.post('/v1/rubrics/listening/versions', { body: { definition: { ...testRubric, title: 'Draft' } } })).statusCode, 201, 'a draft')
  expect(await admin.post('/v1/rubrics/listening/versions', { body: { definition: { ...testRubric, title: 'Another' } } }), 'rubric-draft-open', 'a second draft')
  expect(await admin.patch('/v1/rubrics/listening/versions/2', { headers: { 'if-match': '"stale"' }, body: { definition: { ...testRubric, title: 'Draft 2' } } }), 'precondition-failed', 'a stale If-Match')

  const rulesUrl = `/v1/programs/${w.program.id}/eligibility-rules`
  expect(await client(app, w.keys.coordinator).put(rulesUrl, { body: { rules: [{ kind: 'minObservations', count: 1 }] } }), 'precondition-required', 'rules without If-Match')
  expect(await client(app, w.keys.coordinator).post('/v1/certificates', { body: { traineeId: w.trainee.id } }), 'certificate-not-eligible', 'a certificate too early')
  expect(await admin.post('/v1/cohorts', { body: { programId: w.program.id, name: 'Backwards', startsOn: '2025-06-01', endsOn: '2025-01-01' } }), 'period-ends-before-start', 'a period that ends before it starts')
})

t.test('database refusals become the cause they stand for', async (t) => {
  const { db } = await buildTestApp(t)
  await makeWorld(db)
  const request = { log: { error: () => undefined } } as unknown as FastifyRequest
  const refusal = async (statement: ReturnType<typeof sql>): Promise<unknown> => {
    try {
      await db.execute(statement)
    } catch (err) {
      return err
    }
    throw new Error('the database accepted the statement')
  }
  const cases: Array<[keyof typeof CAUSES, ReturnType<typeof sql>]> = [
    ['duplicate-record', sql`insert into rubrics (key) select key from rubrics limit 1`],
    ['reference-not-found', sql`insert into cohorts (program_id, name) values ('00000000-0000-4000-8000-000000000000', 'Nowhere')`],
    ['value-not-allowed', sql`insert into rubrics (key) values ('Not A Key!')`],
    ['record-immutable', sql`delete from audit_events`],
    ['invalid-value-format', sql`select 'not-a-uuid'::uuid`],
    ['invalid-datetime', sql`select 'someday'::date`],
    ['datetime-out-of-range', sql`select '2025-13-45'::date`]
  ]
  for (const [code, statement] of cases) {
    const problem = problemOf(await refusal(statement) as FastifyError, request, 1000)
    t.match({ code: problem.code, status: problem.status, type: problem.type }, { code, status: CAUSES[code].status, type: `/problems/${CAUSES[code].kind}` }, code)
  }
})
