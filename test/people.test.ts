import t from 'tap'
import { count, eq } from 'drizzle-orm'
import { assignments, organizations, trainees } from '../src/db/schema/index.ts'
import { buildTestApp, client } from './helpers/app.ts'
import { assign, linkProgram, makeCohort, makeOrganization, makeProgram, makeSupervisor, makeTrainee } from './helpers/factories.ts'
import { allPages, auditTrail, isProblem, listIds, sorted } from './helpers/structure.ts'

const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000'

/** Trainees, supervisors and assignments through HTTP, as an admin (access rules: people-access.test.ts). */
t.test('trainees, supervisors and assignments', async (t) => {
  const { app, db, adminKey } = await buildTestApp(t)
  const admin = client(app, adminKey)
  const org = await makeOrganization(db)
  const otherOrg = await makeOrganization(db)
  const program = await makeProgram(db)
  const cohort = await makeCohort(db, program.id)
  await linkProgram(db, program.id, org.id)
  const traineeCount = async () => (await db.select({ n: count() }).from(trainees))[0]!.n

  await t.test('a trainee is created, read, updated under If-Match and deactivated, each write audited', async (t) => {
    const created = await admin.post('/v1/trainees', {
      body: { organizationId: org.id, cohortId: cohort.id, name: 'Ada Okafor', email: 'ada@example.org', discipline: 'nursing', externalHrId: 'HR-1' }
    })
    t.equal(created.statusCode, 201)
    const trainee = created.json()
    t.match(trainee, { organizationId: org.id, cohortId: cohort.id, name: 'Ada Okafor', email: 'ada@example.org', externalHrId: 'HR-1', active: true })
    const read = await admin.get(`/v1/trainees/${trainee.id}`)
    t.same(read.json(), trainee)
    t.equal(read.headers.etag, `"${trainee.id}.1"`)

    const updated = await admin.patch(`/v1/trainees/${trainee.id}`, { body: { email: 'ada.o@example.org', discipline: null }, headers: { 'if-match': String(read.headers.etag) } })
    t.equal(updated.statusCode, 200)
    t.match(updated.json(), { email: 'ada.o@example.org', discipline: null })
    const stale = await admin.patch(`/v1/trainees/${trainee.id}`, { body: { name: 'Someone Else' }, headers: { 'if-match': String(read.headers.etag) } })
    isProblem(t, stale, 412, 'precondition-failed', undefined, 'the ETag read before the last update')
    t.same((await admin.get(`/v1/trainees/${trainee.id}`)).json(), updated.json(), 'the stale update changed nothing')

    const off = await admin.post(`/v1/trainees/${trainee.id}/deactivate`)
    t.equal(off.json().active, false)
    t.equal((await admin.get(`/v1/trainees/${trainee.id}`)).json().active, false, 'still readable, with active=false')

    const trail = await auditTrail(db, 'trainee', trainee.id)
    t.same(trail.map((a) => a.action), ['trainee.create', 'trainee.update', 'trainee.deactivate'])
    t.same(trail[1]!.changes, { email: { from: 'ada@example.org', to: 'ada.o@example.org' }, discipline: { from: 'nursing', to: null } },
      'only the changed fields are audited')
  })

  await t.test('externalHrId is unique within an organization, not across organizations', async (t) => {
    const person = (extra: Record<string, unknown>) => ({ name: 'P', email: 'p@example.org', ...extra })
    const first = await admin.post('/v1/trainees', { body: person({ organizationId: org.id, externalHrId: 'E-7' }) })
    t.equal(first.statusCode, 201)
    const before = await traineeCount()
    const dup = await admin.post('/v1/trainees', { body: person({ organizationId: org.id, externalHrId: 'E-7' }) })
    isProblem(t, dup, 409, 'conflict', undefined, 'a second E-7 in the same organization')
    t.match(dup.json().detail, /externalHrId "E-7"/, 'the message names the clashing HR id')
    t.equal(await traineeCount(), before, 'the duplicate was not written')

    const elsewhere = await admin.post('/v1/trainees', { body: person({ organizationId: otherOrg.id, externalHrId: 'E-7' }) })
    t.equal(elsewhere.statusCode, 201, 'the same HR id in another organization is fine')
    isProblem(t, await admin.patch(`/v1/trainees/${elsewhere.json().id}`, { body: { organizationId: org.id } }), 409, 'conflict', undefined,
      'moving it into the organization that already has E-7')
    const other = await admin.post('/v1/trainees', { body: person({ organizationId: org.id, externalHrId: 'E-8' }) })
    isProblem(t, await admin.patch(`/v1/trainees/${other.json().id}`, { body: { externalHrId: 'E-7' } }), 409, 'conflict', undefined,
      'renaming an HR id onto a taken one')
    await admin.post(`/v1/trainees/${first.json().id}/deactivate`)
    isProblem(t, await admin.post('/v1/trainees', { body: person({ organizationId: org.id, externalHrId: 'E-7' }) }), 409, 'conflict', undefined,
      'a deactivated trainee keeps its HR id')
    t.equal((await admin.patch(`/v1/trainees/${other.json().id}`, { body: { externalHrId: 'E-8', name: 'Q' } })).statusCode, 200,
      'keeping one\'s own HR id is no clash')
  })

  await t.test('referenced ids that do not exist or are deactivated are refused with 422 and a pointer', async (t) => {
    const before = await traineeCount()
    const body = { name: 'R', email: 'r@example.org' }
    isProblem(t, await admin.post('/v1/trainees', { body: { ...body, organizationId: NO_SUCH_ID } }), 422, 'unprocessable', ['/organizationId'])
    isProblem(t, await admin.post('/v1/trainees', { body: { ...body, organizationId: org.id, cohortId: NO_SUCH_ID } }), 422, 'unprocessable', ['/cohortId'])
    const closed = await makeOrganization(db)
    await db.update(organizations).set({ active: false }).where(eq(organizations.id, closed.id))
    isProblem(t, await admin.post('/v1/trainees', { body: { ...body, organizationId: closed.id } }), 422, 'unprocessable', ['/organizationId'],
      'a deactivated organization')
    isProblem(t, await admin.post('/v1/supervisors', { body: { ...body, organizationId: NO_SUCH_ID } }), 422, 'unprocessable', ['/organizationId'])
    t.equal(await traineeCount(), before, 'nothing was written')
  })

  await t.test('trainee filters: organization, cohort, programme, HR id, active and text', async (t) => {
    const program2 = await makeProgram(db)
    const cohort2 = await makeCohort(db, program2.id)
    const a = await makeTrainee(db, org.id, cohort2.id, { name: 'Zelda Quinn', email: 'zq@example.org', externalHrId: 'F-1' })
    const b = await makeTrainee(db, otherOrg.id, cohort2.id, { name: 'Yusuf Quinn', email: 'yusuf@EXAMPLE.org' })
    const c = await makeTrainee(db, otherOrg.id, cohort2.id, { name: 'Xavier 100%', email: 'x@example.org', active: false })
    t.same(await listIds(admin, '/v1/trainees', { cohortId: cohort2.id }), sorted([a.id, b.id, c.id]), 'cohortId')
    t.same(await listIds(admin, '/v1/trainees', { programId: program2.id }), sorted([a.id, b.id, c.id]), 'programId')
    t.same(await listIds(admin, '/v1/trainees', { programId: program2.id, organizationId: otherOrg.id }), sorted([b.id, c.id]), 'organizationId')
    t.same(await listIds(admin, '/v1/trainees', { programId: program2.id, active: 'false' }), [c.id], 'active=false')
    t.same(await listIds(admin, '/v1/trainees', { externalHrId: 'F-1' }), [a.id], 'externalHrId')
    t.same(await listIds(admin, '/v1/trainees', { programId: program2.id, q: 'quinn' }), sorted([a.id, b.id]), 'q matches the name, any case')
    t.same(await listIds(admin, '/v1/trainees', { q: 'YUSUF@example' }), [b.id], 'q matches the email, any case')
    t.same(await listIds(admin, '/v1/trainees', { q: '100%' }), [c.id], '% in q is a literal percent sign')
    t.same(await listIds(admin, '/v1/trainees', { q: 'Qu_nn' }), [], '_ in q is a literal underscore')

    for (let i = 0; i < 7; i++) await makeTrainee(db, org.id, cohort2.id)
    const { ids, pages } = await allPages(admin, '/v1/trainees', { cohortId: cohort2.id }, 4)
    t.equal(pages, 3, 'ten trainees in pages of four')
    t.equal(new Set(ids).size, 10, 'every trainee once, none twice')
  })

  await t.test('supervisors: create, update, deactivate and filter', async (t) => {
    const created = await admin.post('/v1/supervisors', { body: { organizationId: org.id, name: 'Dr Mira Hale', email: 'mira@example.org', discipline: 'psychology' } })
    t.equal(created.statusCode, 201)
    const sup = created.json()
    t.match(sup, { organizationId: org.id, name: 'Dr Mira Hale', discipline: 'psychology', active: true })
    const moved = await admin.patch(`/v1/supervisors/${sup.id}`, { body: { organizationId: otherOrg.id }, headers: { 'if-match': String(created.headers.etag) } })
    t.equal(moved.json().organizationId, otherOrg.id)
    isProblem(t, await admin.patch(`/v1/supervisors/${sup.id}`, { body: { email: 'not-an-email' } }), 400, 'validation', ['/email'])
    isProblem(t, await admin.patch(`/v1/supervisors/${sup.id}`, { body: { name: 'X' }, headers: { 'if-match': String(created.headers.etag) } }),
      412, 'precondition-failed')
    const other = await makeSupervisor(db, otherOrg.id)
    await admin.post(`/v1/supervisors/${other.id}/deactivate`)
    t.same(await listIds(admin, '/v1/supervisors', { organizationId: otherOrg.id }), sorted([sup.id, other.id]), 'organizationId')
    t.same(await listIds(admin, '/v1/supervisors', { organizationId: otherOrg.id, active: 'true' }), [sup.id], 'active')
    t.same(await listIds(admin, '/v1/supervisors', { q: 'mira hale' }), [sup.id], 'q')
    t.same((await auditTrail(db, 'supervisor', sup.id)).map((a) => a.action), ['supervisor.create', 'supervisor.update'])
  })

  await t.test('assignments: dates must make sense and one pairing may not overlap itself', async (t) => {
    const sup = await makeSupervisor(db, org.id)
    const trainee = await makeTrainee(db, org.id, cohort.id)
    const countFor = async () => (await db.select({ n: count() }).from(assignments).where(eq(assignments.traineeId, trainee.id)))[0]!.n
    const backwards = await admin.post('/v1/assignments', { body: { supervisorId: sup.id, traineeId: trainee.id, startsOn: '2025-05-01', endsOn: '2025-04-30' } })
    isProblem(t, backwards, 422, 'unprocessable', ['/endsOn'], 'endsOn before startsOn')
    t.equal(await countFor(), 0, 'nothing written')

    const created = await admin.post('/v1/assignments', { body: { supervisorId: sup.id, traineeId: trainee.id, startsOn: '2025-01-01', endsOn: '2025-06-30' } })
    t.equal(created.statusCode, 201)
    const first = created.json()
    t.match(first, { supervisorId: sup.id, traineeId: trainee.id, startsOn: '2025-01-01', endsOn: '2025-06-30', active: true })
    const sameDay = await admin.post('/v1/assignments', { body: { supervisorId: sup.id, traineeId: trainee.id, startsOn: '2025-07-01', endsOn: '2025-07-01' } })
    t.equal(sameDay.statusCode, 201, 'a one-day assignment ending on its start day, right after the first')

    const overlap = await admin.post('/v1/assignments', { body: { supervisorId: sup.id, traineeId: trainee.id, startsOn: '2025-06-30' } })
    isProblem(t, overlap, 409, 'conflict', undefined, 'an open-ended period overlapping the first')
    t.equal(overlap.json().conflictingAssignmentId, first.id)
    isProblem(t, await admin.patch(`/v1/assignments/${first.id}`, { body: { endsOn: '2024-12-31' } }), 422, 'unprocessable', ['/endsOn'],
      'a patched endsOn before the stored startsOn')
    isProblem(t, await admin.patch(`/v1/assignments/${first.id}`, { body: { endsOn: '2025-07-01' } }), 409, 'conflict', undefined,
      'stretching into the next one')
    t.equal((await admin.get(`/v1/assignments/${first.id}`)).json().endsOn, '2025-06-30', 'refused patches changed nothing')
    isProblem(t, await admin.patch(`/v1/assignments/${first.id}`, { body: { supervisorId: sup.id } }), 400, 'validation', ['/supervisorId'],
      'the pairing itself is fixed')

    await admin.post(`/v1/assignments/${sameDay.json().id}/deactivate`)
    t.equal((await admin.patch(`/v1/assignments/${first.id}`, { body: { endsOn: null } })).statusCode, 200, 'a deactivated assignment no longer overlaps')
    isProblem(t, await admin.post(`/v1/assignments/${sameDay.json().id}/reactivate`), 409, 'conflict', undefined,
      'reactivating into an overlap')
    isProblem(t, await admin.post('/v1/assignments', { body: { supervisorId: NO_SUCH_ID, traineeId: trainee.id, startsOn: '2030-01-01' } }),
      422, 'unprocessable', ['/supervisorId'])
    isProblem(t, await admin.post('/v1/assignments', { body: { supervisorId: sup.id, traineeId: NO_SUCH_ID, startsOn: '2030-01-01' } }),
      422, 'unprocessable', ['/traineeId'])
    t.same((await auditTrail(db, 'assignment', first.id)).map((a) => a.action), ['assignment.create', 'assignment.update'])
  })

  await t.test('assignment filters: supervisor, trainee and current', async (t) => {
    const sup = await makeSupervisor(db, otherOrg.id)
    const [t1, t2, t3, t4] = await Promise.all([1, 2, 3, 4].map(() => makeTrainee(db, otherOrg.id, cohort.id)))
    const now = await assign(db, sup.id, t1!.id, '2020-01-01', null)
    const ended = await assign(db, sup.id, t2!.id, '2020-01-01', '2020-12-31')
    const future = await assign(db, sup.id, t3!.id, '2999-01-01', null)
    const retired = await assign(db, sup.id, t4!.id, '2020-01-01', null)
    await admin.post(`/v1/assignments/${retired.id}/deactivate`)
    t.same(await listIds(admin, '/v1/assignments', { supervisorId: sup.id }), sorted([now.id, ended.id, future.id, retired.id]), 'supervisorId')
    t.same(await listIds(admin, '/v1/assignments', { supervisorId: sup.id, current: 'true' }), [now.id], 'current=true: active and today within its dates')
    t.same(await listIds(admin, '/v1/assignments', { supervisorId: sup.id, current: 'false' }), sorted([ended.id, future.id, retired.id]), 'current=false')
    t.same(await listIds(admin, '/v1/assignments', { traineeId: t2!.id }), [ended.id], 'traineeId')
    isProblem(t, await admin.get('/v1/assignments', { query: { current: 'maybe' } }), 400, 'validation', ['/query/current'])
  })
})
