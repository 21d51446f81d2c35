import t from 'tap'
import { buildTestApp, client, type Client } from './helpers/app.ts'
import { makeWorld } from './helpers/factories.ts'

// The authorization matrix: every role against its own objects and someone else's. What is not
// yours answers 404 (as if it did not exist); what your role may never do answers 403.
const complete = (traineeId: string, submit: boolean) => ({
  traineeId,
  sessionDate: '2026-03-02',
  durationMinutes: 45,
  setting: 'Hospice room',
  modality: 'in_person',
  scores: [
    { criterionKey: 'eye-contact', level: 3, evidence: 'Held eye contact while the patient spoke about his fears.' },
    { criterionKey: 'body-language', level: 2, evidence: 'Arms crossed at first, then relaxed.' },
    { criterionKey: 'paraphrasing', level: 3, evidence: 'Restated his worry about his family in her own words.' },
    { criterionKey: 'non-verbal', notObserved: true }
  ],
  submit
})

t.test('each role sees its own objects and nobody else\'s', async (t) => {
  const { app, db, adminKey } = await buildTestApp(t)
  const w = await makeWorld(db)
  const as = (key: string): Client => client(app, key)

  const created = async (key: string, body: unknown) => {
    const res = await as(key).post('/v1/observations', { body })
    t.equal(res.statusCode, 201, 'fixture observation created')
    return res.json().id as string
  }
  const observation = await created(w.keys.supervisor, complete(w.trainee.id, true))
  const draft = await created(w.keys.supervisor, complete(w.trainee.id, false))
  const otherObservation = await created(w.keys.otherSupervisor, complete(w.otherTrainee.id, true))
  const assignmentOf = async (traineeId: string) =>
    ((await as(adminKey).get('/v1/assignments', { query: { traineeId } })).json().items[0].id) as string
  const assignment = await assignmentOf(w.trainee.id)
  const otherAssignment = await assignmentOf(w.otherTrainee.id)

  const url = {
    trainee: `/v1/trainees/${w.trainee.id}`,
    otherTrainee: `/v1/trainees/${w.otherTrainee.id}`,
    observation: `/v1/observations/${observation}`,
    draft: `/v1/observations/${draft}`,
    otherObservation: `/v1/observations/${otherObservation}`,
    supervisor: `/v1/supervisors/${w.supervisor.id}`,
    otherSupervisor: `/v1/supervisors/${w.otherSupervisor.id}`,
    assignment: `/v1/assignments/${assignment}`,
    otherAssignment: `/v1/assignments/${otherAssignment}`,
    program: `/v1/programs/${w.program.id}`,
    otherProgram: `/v1/programs/${w.otherProgram.id}`,
    cohort: `/v1/cohorts/${w.cohort.id}`,
    history: `/v1/observations/${observation}/history`
  }
  type Target = keyof typeof url

  const matrix: Record<string, { key: string; ok: Target[]; notFound: Target[] }> = {
    admin: { key: adminKey, ok: Object.keys(url) as Target[], notFound: [] },
    coordinator: {
      key: w.keys.coordinator,
      ok: ['trainee', 'otherTrainee', 'observation', 'otherObservation', 'program', 'cohort', 'history'],
      notFound: ['otherProgram']
    },
    'coordinator of another program': {
      key: w.keys.otherCoordinator,
      ok: ['otherProgram'],
      notFound: ['trainee', 'observation', 'program', 'cohort', 'history']
    },
    supervisor: {
      key: w.keys.supervisor,
      ok: ['trainee', 'observation', 'draft', 'supervisor', 'assignment', 'history'],
      notFound: ['otherTrainee', 'otherObservation', 'otherSupervisor', 'otherAssignment']
    },
    trainee: {
      key: w.keys.trainee,
      ok: ['trainee', 'observation', 'history'],
      notFound: ['otherTrainee', 'otherObservation', 'draft']
    },
    integrator: {
      key: w.keys.integrator,
      ok: ['trainee', 'observation', 'supervisor', 'assignment'],
      notFound: ['otherTrainee', 'otherObservation', 'draft', 'otherSupervisor', 'otherAssignment']
    }
  }

  for (const [role, { key, ok, notFound }] of Object.entries(matrix)) {
    for (const target of ok) {
      t.equal((await as(key).get(url[target])).statusCode, 200, `${role} reads ${target}`)
    }
    for (const target of notFound) {
      const res = await as(key).get(url[target])
      t.equal(res.statusCode, 404, `${role} gets 404 for ${target}`)
      t.equal(res.json().type, '/problems/not-found')
    }
  }

  const listed = (await as(w.keys.supervisor).get('/v1/trainees')).json().items.map((x: { id: string }) => x.id)
  t.same(listed, [w.trainee.id], 'a supervisor\'s trainee list holds only their assigned trainee')
  const observed = (await as(w.keys.trainee).get('/v1/observations')).json().items.map((x: { id: string }) => x.id)
  t.same(observed, [observation], 'a trainee lists only their own submitted observations, not drafts')

  const integratorView = (await as(w.keys.integrator).get(url.observation)).json()
  t.notOk(JSON.stringify(integratorView).includes('Held eye contact'), 'an integrator never receives evidence text')
  t.ok(integratorView.scores.length > 0, 'but does receive the scores')
})

t.test('roles never allowed an action get 403', async (t) => {
  const { app, db } = await buildTestApp(t)
  const w = await makeWorld(db)
  const forbidden: [string, string, 'get' | 'post', string, unknown?][] = [
    ['trainee', w.keys.trainee, 'post', '/v1/trainees', { name: 'X', email: 'x@example.org', organizationId: w.org.id }],
    ['supervisor', w.keys.supervisor, 'post', '/v1/programs', { name: 'X', rubricKey: 'x', rubricVersion: 1 }],
    // Coordinators read the accounts of their people (see tenancy.test.ts) but deactivate none: only admins do.
    ['coordinator', w.keys.coordinator, 'post', '/v1/accounts/00000000-0000-4000-8000-000000000000/deactivate'],
    ['coordinator', w.keys.coordinator, 'post', '/v1/organizations', { name: 'X' }],
    ['supervisor', w.keys.supervisor, 'get', '/v1/audit-events'],
    ['integrator', w.keys.integrator, 'get', '/v1/accounts'],
    ['trainee', w.keys.trainee, 'post', '/v1/observations', complete(w.trainee.id, false)],
    ['integrator', w.keys.integrator, 'post', '/v1/observations', complete(w.trainee.id, false)]
  ]
  for (const [role, key, method, path, body] of forbidden) {
    const res = await client(app, key)[method](path, body === undefined ? {} : { body })
    t.equal(res.statusCode, 403, `${role}: ${method.toUpperCase()} ${path} is forbidden`)
    t.equal(res.json().type, '/problems/forbidden')
  }

  const mine = await client(app, w.keys.supervisor).post('/v1/observations', { body: complete(w.trainee.id, true) })
  const ack = await client(app, w.keys.supervisor).post(`/v1/observations/${mine.json().id}/acknowledge`, { body: {} })
  t.equal(ack.statusCode, 403, 'only the trainee acknowledges, not the supervisor')
  const notAssigned = await client(app, w.keys.supervisor).post('/v1/observations', { body: complete(w.otherTrainee.id, false) })
  t.ok([404, 422].includes(notAssigned.statusCode), 'a supervisor cannot observe a trainee not assigned to them')
})
