import t from 'tap'
import { count, eq } from 'drizzle-orm'
import { cohorts, organizations, programs, rubricVersions } from '../src/db/schema/index.ts'
import { buildTestApp, client } from './helpers/app.ts'
import { makeCohort, makeOrganization, makeProgram, makeRubricVersion } from './helpers/factories.ts'
import { allPages, auditCount, auditTrail, isProblem, listIds, sorted } from './helpers/structure.ts'
import { testRubric } from './fixtures/rubric.ts'

/** Organizations, programmes and cohorts through HTTP, as an admin (access rules: people-access.test.ts). */
t.test('organizations, programs and cohorts', async (t) => {
  const { app, db, adminKey } = await buildTestApp(t)
  const admin = client(app, adminKey)

  await t.test('an organization is created, read with an ETag, updated and deactivated, each write audited', async (t) => {
    const created = await admin.post('/v1/organizations', { body: { name: 'St Luke\'s Hospice' } })
    t.equal(created.statusCode, 201)
    const org = created.json()
    t.match(org, { name: 'St Luke\'s Hospice', active: true, id: String })
    t.equal(created.headers.location, `/v1/organizations/${org.id}`)
    t.equal(created.headers.etag, `"${org.id}.1"`, 'a new record is revision 1')

    const read = await admin.get(`/v1/organizations/${org.id}`)
    t.equal(read.statusCode, 200)
    t.same(read.json(), org)
    t.equal(read.headers.etag, created.headers.etag)

    const stale = await admin.patch(`/v1/organizations/${org.id}`, { body: { name: 'Renamed' }, headers: { 'if-match': `"${org.id}.7"` } })
    isProblem(t, stale, 412, 'precondition-failed', undefined, 'a stale If-Match')
    t.equal(stale.json().currentEtag, read.headers.etag, 'the 412 tells the current ETag')
    t.equal((await admin.get(`/v1/organizations/${org.id}`)).json().name, 'St Luke\'s Hospice', 'a refused update changes nothing')

    const renamed = await admin.patch(`/v1/organizations/${org.id}`, { body: { name: 'St Luke\'s' }, headers: { 'if-match': String(read.headers.etag) } })
    t.equal(renamed.statusCode, 200)
    t.equal(renamed.json().name, 'St Luke\'s')
    t.equal(renamed.headers.etag, `"${org.id}.2"`, 'an update bumps the ETag')

    const unconditional = await admin.patch(`/v1/organizations/${org.id}`, { body: { name: 'St Luke\'s Hospice' } })
    t.equal(unconditional.statusCode, 200, 'If-Match is optional: honored only when sent')
    const auditsBefore = await auditCount(db)
    const noChange = await admin.patch(`/v1/organizations/${org.id}`, { body: { name: 'St Luke\'s Hospice' } })
    t.equal(noChange.headers.etag, unconditional.headers.etag, 'a patch that changes nothing keeps the ETag')
    t.equal(await auditCount(db), auditsBefore, 'and writes no audit row')

    const off = await admin.post(`/v1/organizations/${org.id}/deactivate`)
    t.equal(off.statusCode, 200)
    t.equal(off.json().active, false)
    const after = await admin.get(`/v1/organizations/${org.id}`)
    t.equal(after.statusCode, 200, 'a deactivated record stays readable')
    t.equal(after.json().active, false)
    t.ok((await listIds(admin, '/v1/organizations', { active: 'false' })).includes(org.id), 'active=false lists it')
    t.notOk((await listIds(admin, '/v1/organizations', { active: 'true' })).includes(org.id), 'active=true does not')
    t.ok((await listIds(admin, '/v1/organizations')).includes(org.id), 'the default list shows active and deactivated')
    const on = await admin.post(`/v1/organizations/${org.id}/reactivate`, { headers: { 'if-match': String(off.headers.etag) } })
    t.equal(on.json().active, true)

    const trail = await auditTrail(db, 'organization', org.id)
    t.same(trail.map((a) => a.action), [
      'organization.create', 'organization.update', 'organization.update', 'organization.deactivate', 'organization.reactivate'
    ])
    t.same(trail[0]!.changes, { name: 'St Luke\'s Hospice' })
    t.same(trail[1]!.changes, { name: { from: 'St Luke\'s Hospice', to: 'St Luke\'s' } }, 'an update audits what changed, from and to')
    t.same(trail[3]!.changes, { active: { from: true, to: false } })
    t.ok(trail.every((a) => a.actorAccountId !== null && a.requestId !== null), 'each row names the actor and the request')
  })

  await t.test('a programme is pinned to a published rubric version', async (t) => {
    const { rubric, version } = await makeRubricVersion(db)
    await db.insert(rubricVersions).values({
      rubricId: rubric.id, version: 2, status: 'draft', title: 'Draft', definition: testRubric, contentHash: 'draft-2'
    })
    const created = await admin.post('/v1/programs', {
      body: { name: 'Certificate 2025', description: 'Spring intake', rubricKey: rubric.key, rubricVersion: 1 }
    })
    t.equal(created.statusCode, 201)
    t.match(created.json(), { name: 'Certificate 2025', rubricKey: rubric.key, rubricVersion: 1, rubricVersionId: version.id, active: true })
    const program = created.json()
    t.same((await admin.get(`/v1/programs/${program.id}`)).json(), program, 'read back with the rubric it is pinned to')

    const [before] = await db.select({ n: count() }).from(programs)
    const draft = await admin.post('/v1/programs', { body: { name: 'X', rubricKey: rubric.key, rubricVersion: 2 } })
    isProblem(t, draft, 422, 'unprocessable', ['/rubricVersion'], 'a draft version')
    const missing = await admin.post('/v1/programs', { body: { name: 'X', rubricKey: rubric.key, rubricVersion: 9 } })
    isProblem(t, missing, 422, 'unprocessable', ['/rubricVersion'], 'an unknown version')
    const noRubric = await admin.post('/v1/programs', { body: { name: 'X', rubricKey: 'no-such-rubric', rubricVersion: 1 } })
    isProblem(t, noRubric, 422, 'unprocessable', ['/rubricKey'], 'an unknown rubric')
    const [after] = await db.select({ n: count() }).from(programs)
    t.equal(after!.n, before!.n, 'refused programmes are not written')

    const repin = await admin.patch(`/v1/programs/${program.id}`, { body: { rubricVersion: 2 } })
    isProblem(t, repin, 400, 'validation', ['/rubricVersion'], 'the rubric pin cannot be patched')
    const described = await admin.patch(`/v1/programs/${program.id}`, { body: { description: null } })
    t.equal(described.statusCode, 200)
    t.equal(described.json().description, null, 'a nullable field is cleared with null')
    t.equal(described.json().rubricKey, rubric.key)

    const off = await admin.post(`/v1/programs/${program.id}/deactivate`)
    t.match(off.json(), { active: false, rubricVersion: 1 })
    t.same((await auditTrail(db, 'program', program.id)).map((a) => a.action), ['program.create', 'program.update', 'program.deactivate'])
  })

  await t.test('a cohort belongs to an active programme and ends on or after it starts', async (t) => {
    const program = await makeProgram(db)
    const created = await admin.post('/v1/cohorts', { body: { programId: program.id, name: 'Spring', startsOn: '2025-03-01', endsOn: '2025-09-30' } })
    t.equal(created.statusCode, 201)
    const cohort = created.json()
    t.match(cohort, { programId: program.id, name: 'Spring', startsOn: '2025-03-01', endsOn: '2025-09-30', active: true })

    const backwards = await admin.post('/v1/cohorts', { body: { programId: program.id, name: 'Bad', startsOn: '2025-03-01', endsOn: '2025-02-01' } })
    isProblem(t, backwards, 422, 'unprocessable', ['/endsOn'], 'endsOn before startsOn')
    const earlyEnd = await admin.patch(`/v1/cohorts/${cohort.id}`, { body: { endsOn: '2025-01-01' } })
    isProblem(t, earlyEnd, 422, 'unprocessable', ['/endsOn'], 'a patched endsOn before the stored startsOn')
    t.equal((await admin.get(`/v1/cohorts/${cohort.id}`)).json().endsOn, '2025-09-30', 'the refused patch changed nothing')
    const openEnded = await admin.patch(`/v1/cohorts/${cohort.id}`, { body: { endsOn: null } })
    t.equal(openEnded.json().endsOn, null)

    const unknown = await admin.post('/v1/cohorts', { body: { programId: '00000000-0000-4000-8000-000000000000', name: 'X' } })
    isProblem(t, unknown, 422, 'unprocessable', ['/programId'], 'an unknown programme')
    const retired = await makeProgram(db)
    await db.update(programs).set({ active: false }).where(eq(programs.id, retired.id))
    isProblem(t, await admin.post('/v1/cohorts', { body: { programId: retired.id, name: 'X' } }), 422, 'unprocessable', ['/programId'], 'a deactivated programme')
    const [{ n }] = await db.select({ n: count() }).from(cohorts).where(eq(cohorts.name, 'X')) as [{ n: number }]
    t.equal(n, 0, 'no refused cohort was written')
    isProblem(t, await admin.patch(`/v1/cohorts/${cohort.id}`, { body: { programId: retired.id } }), 400, 'validation', ['/programId'],
      'a cohort cannot move to another programme')

    const other = await makeCohort(db, program.id)
    const elsewhere = await makeCohort(db, (await makeProgram(db)).id)
    await admin.post(`/v1/cohorts/${other.id}/deactivate`)
    t.same(await listIds(admin, '/v1/cohorts', { programId: program.id }), sorted([cohort.id, other.id]), 'programId filter')
    t.same(await listIds(admin, '/v1/cohorts', { programId: program.id, active: 'true' }), [cohort.id], 'programId and active filters combine')
    t.ok((await listIds(admin, '/v1/cohorts')).includes(elsewhere.id))
  })

  await t.test('lists page through every record exactly once, newest first', async (t) => {
    // One statement gives every row the same created_at: the id must break the tie across pages.
    await db.insert(organizations).values(Array.from({ length: 8 }, (_, i) => ({ name: `Bulk ${i}` })))
    for (let i = 0; i < 5; i++) await makeOrganization(db)
    const all = await db.select({ id: organizations.id }).from(organizations)
    const { ids, pages } = await allPages(admin, '/v1/organizations', {}, 3)
    t.ok(pages > 3, `more than one page (${pages})`)
    t.equal(new Set(ids).size, ids.length, 'no record appears twice')
    t.same(sorted(ids), sorted(all.map((r) => r.id)), 'no record is left out')
    const first = await admin.get('/v1/organizations', { query: { limit: '2' } })
    const newest = await admin.post('/v1/organizations', { body: { name: 'Newest' } })
    t.equal((await admin.get('/v1/organizations', { query: { limit: '1' } })).json().items[0].id, newest.json().id, 'the newest comes first')
    t.not(first.json().nextCursor, null)
  })

  await t.test('bad input is refused with 400 and a pointer to each problem', async (t) => {
    const org = await makeOrganization(db)
    isProblem(t, await admin.post('/v1/organizations', { body: { name: 'A', nickname: 'B' } }), 400, 'validation', ['/nickname'], 'an unknown field')
    isProblem(t, await admin.post('/v1/organizations', { body: { name: 5 } }), 400, 'validation', ['/name'], 'a number for a string')
    isProblem(t, await admin.post('/v1/organizations', { body: { name: '' } }), 400, 'validation', ['/name'], 'an empty name')
    isProblem(t, await admin.post('/v1/organizations', { body: {} }), 400, 'validation', ['/name'], 'a missing name')
    isProblem(t, await admin.patch(`/v1/organizations/${org.id}`, { body: { active: false } }), 400, 'validation', ['/active'],
      'active changes only through deactivate / reactivate')
    isProblem(t, await admin.get('/v1/organizations/not-a-uuid'), 400, 'validation', ['/params/id'], 'a bad uuid in the path')
    isProblem(t, await admin.post('/v1/cohorts/42/deactivate'), 400, 'validation', ['/params/id'], 'a bad uuid in an action path')
    isProblem(t, await admin.get('/v1/organizations', { query: { limit: '0' } }), 400, 'validation', ['/query/limit'], 'limit 0')
    isProblem(t, await admin.get('/v1/organizations', { query: { colour: 'red' } }), 400, 'validation', ['/query/colour'], 'an unknown filter')
    isProblem(t, await admin.get('/v1/cohorts', { query: { programId: 'x' } }), 400, 'validation', ['/query/programId'], 'a bad uuid filter')
    isProblem(t, await admin.get('/v1/organizations', { query: { cursor: 'garbage' } }), 400, 'validation', ['/query/cursor'], 'a forged cursor')
    isProblem(t, await admin.post('/v1/programs', { body: { name: 'P', rubricKey: 'k', rubricVersion: '1' } }), 400, 'validation',
      ['/rubricKey', '/rubricVersion'], 'a too-short key and a string for a number')
    isProblem(t, await admin.post('/v1/cohorts', { body: { programId: org.id, name: 'C', startsOn: '2025-13-01' } }), 400, 'validation',
      ['/startsOn'], 'an impossible date')
    isProblem(t, await admin.get(`/v1/organizations/${crypto.randomUUID()}`), 404, 'not-found', undefined, 'an unknown id')
  })
})
