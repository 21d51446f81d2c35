import t from 'tap'
import { accounts } from '../src/db/schema/index.ts'
import { buildTestApp, client } from './helpers/app.ts'
import { assign, linkProgram, makeAccount, makeCohort, makeOrganization, makeProgram, makeRubricVersion, makeSupervisor, makeTrainee } from './helpers/factories.ts'
import { auditCount, auditTrail, isProblem, listIds } from './helpers/structure.ts'

/**
 * Two unrelated employers, A and B, each served by a programme of its own (PA, PB), with a cohort,
 * a trainee, a supervisor and an assignment in each, and a coordinator of each programme.
 */
async function twoEmployers(db: Parameters<typeof makeProgram>[0]) {
  const { version } = await makeRubricVersion(db)
  const orgA = await makeOrganization(db, 'Hospice A')
  const orgB = await makeOrganization(db, 'Clinic B')
  const progA = await makeProgram(db, version.id)
  const progB = await makeProgram(db, version.id)
  const cohortA = await makeCohort(db, progA.id)
  const cohortB = await makeCohort(db, progB.id)
  const traineeA = await makeTrainee(db, orgA.id, cohortA.id)
  const traineeB = await makeTrainee(db, orgB.id, cohortB.id)
  const supA = await makeSupervisor(db, orgA.id)
  const supB = await makeSupervisor(db, orgB.id)
  await assign(db, supA.id, traineeA.id)
  const assignmentB = await assign(db, supB.id, traineeB.id)
  const coordA = await makeAccount(db, 'coordinator', { programIds: [progA.id] })
  const victim = await makeAccount(db, 'supervisor', { supervisorId: supB.id })
  return { orgA, orgB, progA, progB, cohortA, cohortB, traineeA, traineeB, supA, supB, assignmentB, coordA, victim }
}

t.test('tenancy: programs serve organizations, and nothing crosses the wall', async (t) => {
  const { app, db, adminKey } = await buildTestApp(t)
  const w = await twoEmployers(db)
  const admin = client(app, adminKey)
  const coord = client(app, w.coordA.key)

  await t.test('links: admins manage them, the programme\'s coordinators read them', async (t) => {
    const listed = await coord.get(`/v1/programs/${w.progA.id}/organizations`)
    t.equal(listed.statusCode, 200)
    t.same(listed.json().items.map((l: { organizationId: string }) => l.organizationId), [w.orgA.id], 'derived from where trainees are placed')
    t.equal((await coord.get(`/v1/programs/${w.progB.id}/organizations`)).statusCode, 404, 'another programme reads as missing')
    t.equal((await client(app, w.victim.key).get(`/v1/programs/${w.progA.id}/organizations`)).statusCode, 403)
    t.equal((await coord.put(`/v1/programs/${w.progA.id}/organizations/${w.orgB.id}`)).statusCode, 403, 'a coordinator cannot widen their own scope')

    const other = await makeOrganization(db)
    const first = await admin.put(`/v1/programs/${w.progB.id}/organizations/${other.id}`)
    t.equal(first.statusCode, 201)
    t.match(first.json(), { programId: w.progB.id, organizationId: other.id, organizationName: other.name })
    t.equal((await admin.put(`/v1/programs/${w.progB.id}/organizations/${other.id}`)).statusCode, 200, 'idempotent')
    t.equal((await admin.put(`/v1/programs/${w.progB.id}/organizations/00000000-0000-4000-8000-000000000000`)).statusCode, 404)
    t.equal((await admin.delete(`/v1/programs/${w.progB.id}/organizations/${other.id}`)).statusCode, 204)
    t.equal((await admin.delete(`/v1/programs/${w.progB.id}/organizations/${other.id}`)).statusCode, 204, 'idempotent too')
    t.same((await admin.get(`/v1/programs/${w.progB.id}/organizations`)).json().items.map((l: { organizationId: string }) => l.organizationId), [w.orgB.id], 'gone')
    t.equal((await admin.delete(`/v1/programs/${w.progB.id}/organizations/00000000-0000-4000-8000-000000000000`)).statusCode, 404, 'an unknown organization')
    const trail = (await auditTrail(db, 'program', w.progB.id)).map((e) => [e.action, e.changes])
    t.same(trail, [['program.organization_link', { organizationId: other.id }], ['program.organization_unlink', { organizationId: other.id }]],
      'one audit row per change, none for the idempotent repeats')
  })

  await t.test('removing a link while active trainees are placed is a 409 naming them', async (t) => {
    const second = await makeTrainee(db, w.orgA.id, w.cohortA.id, { name: 'Ada Second' })
    const res = await admin.delete(`/v1/programs/${w.progA.id}/organizations/${w.orgA.id}`)
    isProblem(t, res, 409, 'conflict')
    t.equal(res.json().code, 'program-organization-in-use')
    t.same(res.json().trainees.map((x: { id: string }) => x.id).sort(), [w.traineeA.id, second.id].sort())
    t.match(res.json().detail, /Ada Second/)
    await admin.post(`/v1/trainees/${second.id}/deactivate`)
    const still = await admin.delete(`/v1/programs/${w.progA.id}/organizations/${w.orgA.id}`)
    t.same(still.json().trainees.map((x: { id: string }) => x.id), [w.traineeA.id], 'deactivated trainees no longer hold the link')
  })

  await t.test('the takeover chain is refused at every step', async (t) => {
    const before = await auditCount(db)
    t.notOk((await listIds(coord, '/v1/supervisors')).includes(w.supB.id), 'B\'s supervisor is not listed')
    t.equal((await coord.get(`/v1/supervisors/${w.supB.id}`)).statusCode, 404)
    const assignAcross = await coord.post('/v1/assignments', { body: { supervisorId: w.supB.id, traineeId: w.traineeA.id, startsOn: '2031-01-01' } })
    isProblem(t, assignAcross, 422, 'unprocessable', ['/supervisorId'], 'assigning B\'s supervisor to my trainee')
    isProblem(t, await coord.post(`/v1/accounts/${w.victim.account.id}/invitations`), 404, 'not-found', undefined, 'inviting B\'s supervisor account')
    isProblem(t, await coord.get(`/v1/accounts/${w.victim.account.id}`), 404, 'not-found')
    isProblem(t, await coord.post(`/v1/accounts/${w.victim.account.id}/reactivate`), 404, 'not-found')
    const second = await coord.post('/v1/accounts', { body: { role: 'supervisor', name: 'Shadow', email: 'shadow@example.org', supervisorId: w.supB.id } })
    isProblem(t, second, 422, 'unprocessable', ['/supervisorId'], 'a second account for B\'s supervisor')
    const missing = await coord.post('/v1/accounts', { body: { role: 'supervisor', name: 'Shadow', supervisorId: '00000000-0000-4000-8000-000000000000' } })
    t.equal(second.json().errors[0].detail.replace(w.supB.id, '?'), missing.json().errors[0].detail.replace(/[0-9a-f-]{36}/, '?'), 'reads exactly like a missing supervisor')
    t.equal(await auditCount(db), before, 'nothing was written')
    const adminSecond = await admin.post('/v1/accounts', { body: { role: 'supervisor', name: 'Shadow', supervisorId: w.supB.id } })
    isProblem(t, adminSecond, 409, 'conflict', undefined, 'even an admin gives a person one account')
    t.match(adminSecond.json(), { code: 'person-has-account', accountId: w.victim.account.id })
    await t.rejects(db.insert(accounts).values({ role: 'supervisor', name: 'Raw', supervisorId: w.supB.id }), 'the database refuses a second account too')
  })

  await t.test('a coordinator writes nothing into another organization', async (t) => {
    const before = await auditCount(db)
    const person = { name: 'N', email: 'n@example.org' }
    isProblem(t, await coord.patch(`/v1/supervisors/${w.supB.id}`, { body: { name: 'Owned' } }), 404, 'not-found')
    isProblem(t, await coord.post('/v1/supervisors', { body: { ...person, organizationId: w.orgB.id } }), 422, 'unprocessable', ['/organizationId'])
    isProblem(t, await coord.post('/v1/trainees', { body: { ...person, organizationId: w.orgB.id, cohortId: w.cohortA.id } }), 422, 'unprocessable', ['/organizationId'])
    isProblem(t, await coord.patch(`/v1/supervisors/${w.supA.id}`, { body: { organizationId: w.orgB.id } }), 422, 'unprocessable', ['/organizationId'])
    isProblem(t, await coord.patch(`/v1/trainees/${w.traineeA.id}`, { body: { organizationId: w.orgB.id } }), 422, 'unprocessable', ['/organizationId'])
    isProblem(t, await coord.patch(`/v1/assignments/${w.assignmentB.id}`, { body: { endsOn: null } }), 404, 'not-found')
    isProblem(t, await coord.patch(`/v1/organizations/${w.orgB.id}`, { body: { name: 'Mine' } }), 404, 'not-found', undefined, 'an organization no programme of theirs serves')
    t.equal(await auditCount(db), before, 'nothing was written')
  })

  await t.test('a coordinator\'s lists show nothing of B, under any filter', async (t) => {
    const bIds = new Set([w.orgB.id, w.progB.id, w.cohortB.id, w.traineeB.id, w.supB.id, w.assignmentB.id, w.victim.account.id])
    const lists: [string, Record<string, string>][] = [
      ['/v1/organizations', {}], ['/v1/programs', {}], ['/v1/cohorts', {}], ['/v1/cohorts', { programId: w.progB.id }],
      ['/v1/trainees', {}], ['/v1/trainees', { organizationId: w.orgB.id }], ['/v1/trainees', { cohortId: w.cohortB.id }],
      ['/v1/trainees', { programId: w.progB.id }], ['/v1/trainees', { q: w.traineeB.name }],
      ['/v1/supervisors', {}], ['/v1/supervisors', { organizationId: w.orgB.id }], ['/v1/supervisors', { q: w.supB.name }],
      ['/v1/assignments', {}], ['/v1/assignments', { supervisorId: w.supB.id }], ['/v1/assignments', { traineeId: w.traineeB.id }],
      ['/v1/accounts', {}], ['/v1/accounts', { role: 'supervisor' }]
    ]
    for (const [url, query] of lists) {
      const ids = await listIds(coord, url, query)
      t.same(ids.filter((id) => bIds.has(id)), [], `${url} ${JSON.stringify(query)}`)
    }
    t.same(await listIds(coord, '/v1/organizations'), [w.orgA.id], 'exactly the organizations served')
  })
})

t.test('placement and assignment follow the links, for every role', async (t) => {
  const { app, db, adminKey } = await buildTestApp(t)
  const w = await twoEmployers(db)
  const admin = client(app, adminKey)
  const coord = client(app, w.coordA.key)
  const person = { name: 'P', email: 'p@example.org' }

  const placed = await admin.post('/v1/trainees', { body: { ...person, organizationId: w.orgB.id, cohortId: w.cohortA.id } })
  isProblem(t, placed, 422, 'unprocessable', ['/cohortId'], 'an admin placing B\'s trainee in PA\'s cohort')
  t.equal(placed.json().code, 'organization-not-served')
  isProblem(t, await admin.patch(`/v1/trainees/${w.traineeA.id}`, { body: { cohortId: w.cohortB.id } }), 422, 'unprocessable', ['/cohortId'])
  isProblem(t, await admin.patch(`/v1/trainees/${w.traineeA.id}`, { body: { organizationId: w.orgB.id } }), 422, 'unprocessable', ['/organizationId'],
    'moving the trainee to an organization its programme does not serve')

  const across = await admin.post('/v1/assignments', { body: { supervisorId: w.supB.id, traineeId: w.traineeA.id, startsOn: '2031-01-01' } })
  isProblem(t, across, 422, 'unprocessable', ['/supervisorId'], 'an admin assigning B\'s supervisor to A\'s trainee')
  t.equal(across.json().code, 'supervisor-not-served')
  const unplaced = await makeTrainee(db, w.orgA.id, null)
  isProblem(t, await admin.post('/v1/assignments', { body: { supervisorId: w.supB.id, traineeId: unplaced.id, startsOn: '2031-01-01' } }),
    422, 'unprocessable', ['/supervisorId'], 'a trainee in no cohort gets a supervisor of its own organization only')
  t.equal((await admin.post('/v1/assignments', { body: { supervisorId: w.supA.id, traineeId: unplaced.id, startsOn: '2031-01-01' } })).statusCode, 201)

  // A network: PA now also serves B (sites sharing supervisors). The coordinator of PA reaches B's people.
  await linkProgram(db, w.progA.id, w.orgB.id)
  t.equal((await coord.post('/v1/assignments', { body: { supervisorId: w.supB.id, traineeId: w.traineeA.id, startsOn: '2031-01-01' } })).statusCode, 201,
    'B\'s supervisor for a trainee of PA, once PA serves B')
  t.equal((await coord.get(`/v1/trainees/${w.traineeB.id}`)).statusCode, 200, 'B\'s trainees are visible to PA\'s coordinator')
  const move = await coord.patch(`/v1/trainees/${w.traineeB.id}`, { body: { cohortId: w.cohortA.id } })
  isProblem(t, move, 422, 'unprocessable', ['/cohortId'], 'but one placed in PB\'s cohort is not theirs to move')
  t.equal(move.json().code, 'trainee-placed-elsewhere')
  isProblem(t, await coord.post('/v1/assignments', { body: { supervisorId: w.supA.id, traineeId: w.traineeB.id, startsOn: '2031-01-01' } }),
    422, 'unprocessable', ['/traineeId'], 'nor to assign')
  isProblem(t, await coord.post(`/v1/assignments/${w.assignmentB.id}/deactivate`), 404, 'not-found', undefined, 'nor to end its assignment')
  t.equal((await admin.patch(`/v1/trainees/${w.traineeB.id}`, { body: { cohortId: w.cohortA.id } })).statusCode, 200, 'an admin may: PA serves B')
  t.equal((await coord.patch(`/v1/trainees/${unplaced.id}`, { body: { cohortId: w.cohortA.id } })).statusCode, 200, 'a trainee in no cohort may be placed')
})
