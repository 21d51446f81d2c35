import t from 'tap'
import { eq } from 'drizzle-orm'
import { assignments } from '../src/db/schema/index.ts'
import { buildTestApp, client, type Client } from './helpers/app.ts'
import { assign, makeAccount, makeCohort, makeOrganization, makeSupervisor, makeTrainee, makeWorld } from './helpers/factories.ts'
import { auditCount, isProblem, listIds, sorted } from './helpers/structure.ts'

const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000'
const ROLES = ['admin', 'coordinator', 'supervisor', 'trainee', 'integrator'] as const
type Expect = [number, number, number, number, number]

/**
 * Who may see and change organizations, programmes, cohorts, trainees, supervisors and assignments.
 * makeWorld gives every role a key and an "other" half; on top of it a programme the coordinator
 * does not run, serving an organization of its own, with a cohort, a trainee and an assignment that
 * nobody but admins may see.
 */
t.test('access to people and structure', async (t) => {
  const { app, db, adminKey } = await buildTestApp(t)
  const w = await makeWorld(db)
  const otherCohort = await makeCohort(db, w.otherProgram.id)
  const farOrg = await makeOrganization(db)
  const farTrainee = await makeTrainee(db, farOrg.id, otherCohort.id)
  const farAssignment = await assign(db, (await makeSupervisor(db, farOrg.id)).id, farTrainee.id)
  const [own] = await db.select().from(assignments).where(eq(assignments.supervisorId, w.supervisor.id))
  const [otherAssignment] = await db.select().from(assignments).where(eq(assignments.traineeId, w.otherTrainee.id))
  const as: Record<(typeof ROLES)[number], Client> = {
    admin: client(app, adminKey),
    coordinator: client(app, w.keys.coordinator),
    supervisor: client(app, w.keys.supervisor),
    trainee: client(app, w.keys.trainee),
    integrator: client(app, w.keys.integrator)
  }

  await t.test('reading one record: yours 200, not yours 404, a role that never may 403', async (t) => {
    const matrix: [string, Expect][] = [
      [`/v1/organizations/${w.org.id}`, [200, 200, 200, 200, 200]],
      [`/v1/organizations/${w.otherOrg.id}`, [200, 200, 404, 404, 404]],
      [`/v1/organizations/${farOrg.id}`, [200, 404, 404, 404, 404]],
      [`/v1/programs/${w.program.id}`, [200, 200, 200, 200, 200]],
      [`/v1/programs/${w.otherProgram.id}`, [200, 404, 404, 404, 404]],
      [`/v1/cohorts/${w.cohort.id}`, [200, 200, 200, 200, 200]],
      [`/v1/cohorts/${otherCohort.id}`, [200, 404, 404, 404, 404]],
      [`/v1/trainees/${w.trainee.id}`, [200, 200, 200, 200, 200]],
      [`/v1/trainees/${w.otherTrainee.id}`, [200, 200, 404, 404, 404]],
      [`/v1/trainees/${farTrainee.id}`, [200, 404, 404, 404, 404]],
      [`/v1/supervisors/${w.supervisor.id}`, [200, 200, 200, 403, 200]],
      [`/v1/supervisors/${w.otherSupervisor.id}`, [200, 200, 404, 403, 404]],
      [`/v1/assignments/${own!.id}`, [200, 200, 200, 403, 200]],
      [`/v1/assignments/${farAssignment.id}`, [200, 404, 404, 403, 404]]
    ]
    for (const [url, expected] of matrix) {
      for (const [i, role] of ROLES.entries()) {
        const res = await as[role].get(url)
        t.equal(res.statusCode, expected[i], `${role} GET ${url.replace(/[0-9a-f-]{36}/, ':id')} -> ${expected[i]}`)
      }
    }
    const missing = await as.integrator.get(`/v1/trainees/${NO_SUCH_ID}`)
    const hidden = await as.integrator.get(`/v1/trainees/${w.otherTrainee.id}`)
    t.equal(hidden.json().detail.replace(w.otherTrainee.id, '?'), missing.json().detail.replace(NO_SUCH_ID, '?'), 'hidden reads exactly like missing')
  })

  await t.test('lists hold exactly what the caller may see', async (t) => {
    const expect = (role: keyof typeof as, url: string, ids: string[]) =>
      listIds(as[role], url).then((got) => t.same(got, sorted(ids), `${role} lists ${url}`))
    await expect('coordinator', '/v1/organizations', [w.org.id, w.otherOrg.id])
    await expect('supervisor', '/v1/organizations', [w.org.id])
    await expect('trainee', '/v1/organizations', [w.org.id])
    await expect('integrator', '/v1/organizations', [w.org.id])
    for (const role of ['coordinator', 'supervisor', 'trainee', 'integrator'] as const) {
      await expect(role, '/v1/programs', [w.program.id])
      await expect(role, '/v1/cohorts', [w.cohort.id])
    }
    await expect('coordinator', '/v1/trainees', [w.trainee.id, w.otherTrainee.id])
    await expect('supervisor', '/v1/trainees', [w.trainee.id])
    await expect('trainee', '/v1/trainees', [w.trainee.id])
    await expect('integrator', '/v1/trainees', [w.trainee.id])
    await expect('coordinator', '/v1/supervisors', [w.supervisor.id, w.otherSupervisor.id])
    await expect('supervisor', '/v1/supervisors', [w.supervisor.id])
    await expect('integrator', '/v1/supervisors', [w.supervisor.id])
    await expect('coordinator', '/v1/assignments', [own!.id, otherAssignment!.id])
    await expect('supervisor', '/v1/assignments', [own!.id])
    await expect('integrator', '/v1/assignments', [own!.id])
    const otherIntegrator = client(app, w.keys.otherIntegrator)
    t.same(await listIds(otherIntegrator, '/v1/trainees'), sorted([w.otherTrainee.id]), 'the other integrator sees its own organization')
    t.same(await listIds(otherIntegrator, '/v1/programs'), [w.program.id], 'an integrator lists the programmes serving its organization')
    isProblem(t, await as.trainee.get('/v1/assignments'), 403, 'forbidden', undefined, 'trainees do not list assignments')
  })

  await t.test('a supervisor whose assignment ended no longer sees the trainee, but still sees the assignment', async (t) => {
    const past = await makeSupervisor(db, w.org.id)
    const ended = await assign(db, past.id, w.trainee.id, '2020-01-01', '2020-12-31')
    const key = client(app, (await makeAccount(db, 'supervisor', { supervisorId: past.id })).key)
    t.equal((await key.get(`/v1/trainees/${w.trainee.id}`)).statusCode, 404)
    t.equal((await key.get(`/v1/cohorts/${w.cohort.id}`)).statusCode, 404)
    t.equal((await key.get(`/v1/programs/${w.program.id}`)).statusCode, 404)
    t.equal((await key.get(`/v1/assignments/${ended.id}`)).statusCode, 200)
  })

  await t.test('roles that may never write are refused with 403, and nothing is written', async (t) => {
    const before = await auditCount(db)
    const person = { name: 'N', email: 'n@example.org' }
    const writes: [string, string, unknown, (typeof ROLES)[number][]][] = [
      ['POST', '/v1/organizations', { name: 'N' }, ['coordinator', 'supervisor', 'trainee', 'integrator']],
      ['PATCH', `/v1/organizations/${w.org.id}`, { name: 'N' }, ['supervisor', 'trainee', 'integrator']],
      ['POST', `/v1/organizations/${w.org.id}/deactivate`, undefined, ['coordinator', 'supervisor', 'trainee', 'integrator']],
      ['POST', '/v1/programs', { name: 'N', rubricKey: 'any-key', rubricVersion: 1 }, ['coordinator', 'supervisor', 'trainee', 'integrator']],
      ['PATCH', `/v1/programs/${w.program.id}`, { name: 'N' }, ['coordinator', 'supervisor', 'trainee', 'integrator']],
      ['POST', `/v1/programs/${w.program.id}/deactivate`, undefined, ['coordinator', 'supervisor', 'trainee', 'integrator']],
      ['POST', '/v1/cohorts', { programId: w.program.id, name: 'N' }, ['supervisor', 'trainee', 'integrator']],
      ['PATCH', `/v1/cohorts/${w.cohort.id}`, { name: 'N' }, ['supervisor', 'trainee', 'integrator']],
      ['POST', `/v1/cohorts/${w.cohort.id}/deactivate`, undefined, ['supervisor', 'trainee', 'integrator']],
      ['POST', '/v1/trainees', { ...person, organizationId: w.org.id, cohortId: w.cohort.id }, ['supervisor', 'trainee']],
      ['PATCH', `/v1/trainees/${w.trainee.id}`, { name: 'N' }, ['supervisor', 'trainee']],
      ['POST', `/v1/trainees/${w.trainee.id}/deactivate`, undefined, ['supervisor', 'trainee']],
      ['POST', '/v1/supervisors', { ...person, organizationId: w.org.id }, ['supervisor', 'trainee']],
      ['PATCH', `/v1/supervisors/${w.supervisor.id}`, { name: 'N' }, ['supervisor', 'trainee']],
      ['POST', `/v1/supervisors/${w.supervisor.id}/deactivate`, undefined, ['coordinator', 'supervisor', 'trainee']],
      ['POST', '/v1/assignments', { supervisorId: w.supervisor.id, traineeId: w.trainee.id, startsOn: '2031-01-01' }, ['supervisor', 'trainee', 'integrator']],
      ['PATCH', `/v1/assignments/${own!.id}`, { endsOn: null }, ['supervisor', 'trainee', 'integrator']],
      ['POST', `/v1/assignments/${own!.id}/deactivate`, undefined, ['supervisor', 'trainee', 'integrator']]
    ]
    for (const [method, url, body, roles] of writes) {
      for (const role of roles) {
        const send = method === 'POST' ? as[role].post : as[role].patch
        const res = await send(url, body === undefined ? {} : { body })
        t.equal(res.statusCode, 403, `${role} ${method} ${url.replace(/[0-9a-f-]{36}/, ':id')} -> 403`)
      }
    }
    t.equal(await auditCount(db), before, 'no refused write left an audit row')
  })

  await t.test('a coordinator writes only within their programmes', async (t) => {
    const c = as.coordinator
    const before = await auditCount(db)
    isProblem(t, await c.patch(`/v1/cohorts/${otherCohort.id}`, { body: { name: 'N' } }), 404, 'not-found', undefined, 'a cohort of another programme')
    isProblem(t, await c.post(`/v1/cohorts/${otherCohort.id}/deactivate`), 404, 'not-found')
    isProblem(t, await c.post('/v1/cohorts', { body: { programId: w.otherProgram.id, name: 'N' } }), 422, 'unprocessable', ['/programId'])
    const person = { name: 'N', email: 'n@example.org', organizationId: w.org.id }
    isProblem(t, await c.post('/v1/trainees', { body: person }), 422, 'unprocessable', ['/cohortId'], 'a trainee without a cohort')
    isProblem(t, await c.patch(`/v1/organizations/${farOrg.id}`, { body: { name: 'N' } }), 404, 'not-found', undefined, 'an organization no programme of theirs serves')
    isProblem(t, await c.post('/v1/trainees', { body: { ...person, cohortId: otherCohort.id } }), 422, 'unprocessable', ['/cohortId'], 'another programme\'s cohort')
    isProblem(t, await c.patch(`/v1/trainees/${farTrainee.id}`, { body: { name: 'N' } }), 404, 'not-found')
    isProblem(t, await c.post(`/v1/trainees/${farTrainee.id}/deactivate`), 404, 'not-found')
    isProblem(t, await c.patch(`/v1/trainees/${w.trainee.id}`, { body: { cohortId: null } }), 422, 'unprocessable', ['/cohortId'], 'taking a trainee out of every cohort')
    isProblem(t, await c.patch(`/v1/trainees/${w.trainee.id}`, { body: { cohortId: otherCohort.id } }), 422, 'unprocessable', ['/cohortId'])
    isProblem(t, await c.post('/v1/assignments', { body: { supervisorId: w.supervisor.id, traineeId: farTrainee.id, startsOn: '2031-01-01' } }),
      422, 'unprocessable', ['/traineeId'])
    isProblem(t, await c.patch(`/v1/assignments/${farAssignment.id}`, { body: { endsOn: null } }), 404, 'not-found')
    t.equal(await auditCount(db), before, 'no refused write left an audit row')
    const renamed = await c.patch(`/v1/organizations/${w.org.id}`, { body: { name: 'Riverside Hospice (north site)' } })
    t.equal(renamed.statusCode, 200, 'a coordinator renames an organization their programme serves')
    t.equal(renamed.json().name, 'Riverside Hospice (north site)')

    t.equal((await c.post('/v1/cohorts', { body: { programId: w.program.id, name: 'Autumn' } })).statusCode, 201)
    t.equal((await c.post('/v1/trainees', { body: { ...person, cohortId: w.cohort.id } })).statusCode, 201)
    t.equal((await c.post('/v1/supervisors', { body: { name: 'S', email: 's@example.org', organizationId: w.otherOrg.id } })).statusCode, 201,
      'supervisors of any organization their programme serves')
    t.equal((await c.patch(`/v1/supervisors/${w.otherSupervisor.id}`, { body: { discipline: 'counselling' } })).statusCode, 200)
    t.equal((await c.post('/v1/assignments', { body: { supervisorId: w.otherSupervisor.id, traineeId: w.trainee.id, startsOn: '2031-01-01' } })).statusCode, 201)
  })

  await t.test('an integrator manages trainees and supervisors of its own organization only', async (t) => {
    const i = as.integrator
    const person = { name: 'I', email: 'i@example.org' }
    const before = await auditCount(db)
    const foreign = await i.post('/v1/trainees', { body: { ...person, organizationId: w.otherOrg.id } })
    isProblem(t, foreign, 422, 'unprocessable', ['/organizationId'], 'another organization')
    const unknown = await i.post('/v1/trainees', { body: { ...person, organizationId: NO_SUCH_ID } })
    t.equal(foreign.json().detail, unknown.json().detail, 'another organization reads exactly like a missing one')
    const far = await i.post('/v1/trainees', { body: { ...person, organizationId: w.org.id, cohortId: otherCohort.id } })
    isProblem(t, far, 422, 'unprocessable', ['/cohortId'], 'placing in a cohort of a programme that does not serve the organization')
    t.equal(far.json().code, 'reference-not-found', 'such a cohort is not visible to the integrator')
    isProblem(t, await i.patch(`/v1/cohorts/${w.cohort.id}`, { body: { name: 'N' } }), 403, 'forbidden', undefined, 'integrators read cohorts, never change them')
    isProblem(t, await i.patch(`/v1/trainees/${w.trainee.id}`, { body: { organizationId: w.otherOrg.id } }), 422, 'unprocessable', ['/organizationId'])
    isProblem(t, await i.patch(`/v1/trainees/${w.otherTrainee.id}`, { body: { name: 'N' } }), 404, 'not-found')
    isProblem(t, await i.post(`/v1/trainees/${w.otherTrainee.id}/deactivate`), 404, 'not-found')
    isProblem(t, await i.post('/v1/supervisors', { body: { ...person, organizationId: w.otherOrg.id } }), 422, 'unprocessable', ['/organizationId'])
    isProblem(t, await i.patch(`/v1/supervisors/${w.otherSupervisor.id}`, { body: { name: 'N' } }), 404, 'not-found')
    t.equal(await auditCount(db), before, 'no refused write left an audit row')

    const placed = await i.post('/v1/trainees', { body: { ...person, organizationId: w.org.id, cohortId: w.cohort.id, externalHrId: 'HR-41' } })
    t.equal(placed.statusCode, 201, 'an integrator places a new trainee in a cohort of a programme serving its organization')
    t.equal(placed.json().cohortId, w.cohort.id)
    const unplaced = await i.patch(`/v1/trainees/${placed.json().id}`, { body: { cohortId: null } })
    t.equal(unplaced.json().cohortId, null, 'and takes it out again')
    t.equal((await i.patch(`/v1/trainees/${placed.json().id}`, { body: { cohortId: w.cohort.id } })).json().cohortId, w.cohort.id, 'or places it on update')

    const created = await i.post('/v1/trainees', { body: { ...person, organizationId: w.org.id, externalHrId: 'HR-42' } })
    t.equal(created.statusCode, 201)
    t.equal(created.json().cohortId, null, 'a trainee in no cohort')
    const c = as.coordinator
    t.equal((await c.get(`/v1/trainees/${created.json().id}`)).statusCode, 200, 'the coordinator of a programme serving the organization sees it')
    t.ok((await listIds(c, '/v1/trainees', { organizationId: w.org.id })).includes(created.json().id), 'and lists it')
    const byCoordinator = await c.patch(`/v1/trainees/${created.json().id}`, { body: { cohortId: w.cohort.id } })
    t.equal(byCoordinator.statusCode, 200, 'and places it in one of their cohorts')
    t.equal(byCoordinator.json().cohortId, w.cohort.id)
    t.equal((await i.patch(`/v1/trainees/${created.json().id}`, { body: { cohortId: null } })).statusCode, 200)
    t.equal((await i.patch(`/v1/trainees/${created.json().id}`, { body: { name: 'Renamed' } })).statusCode, 200)
    t.equal((await i.post(`/v1/trainees/${created.json().id}/deactivate`)).json().active, false)
    t.equal((await i.post('/v1/supervisors', { body: { ...person, organizationId: w.org.id } })).statusCode, 201)
    t.equal((await i.post(`/v1/supervisors/${w.supervisor.id}/deactivate`)).json().active, false)
    t.equal((await i.post(`/v1/supervisors/${w.supervisor.id}/reactivate`)).json().active, true)
  })
})
