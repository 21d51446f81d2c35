import t from 'tap'
import { and, eq } from 'drizzle-orm'
import { auditEvents } from '../src/db/schema/index.ts'
import { buildTestApp, client } from './helpers/app.ts'
import { makeWorld } from './helpers/factories.ts'
import { auditActions, completeScores, createObservation, ifMatch, session } from './helpers/observations.ts'

const NARRATIVE = ['contextNote', 'strengths', 'areasForGrowth', 'actionPlan', 'acknowledgementComment']

t.test('observation access', async (t) => {
  const { app, db, adminKey } = await buildTestApp(t)
  const w = await makeWorld(db)
  const as = (key: keyof typeof w.keys) => client(app, w.keys[key])
  const supervisor = as('supervisor')

  const draft = (await createObservation(supervisor, w.trainee.id, { strengths: 'Draft thoughts.' })).json()
  const created = await supervisor.post('/v1/observations', {
    body: session(w.trainee.id, {
      sessionDate: '2024-06-10', scores: completeScores(), submit: true,
      strengths: 'Warm.', areasForGrowth: 'Pace.', actionPlan: 'Record a session.'
    })
  })
  const submitted = created.json()
  const amended = await supervisor.post(`/v1/observations/${submitted.id}/amendments`, {
    headers: ifMatch(created), body: { reason: 'Client named in the note; removed.', contextNote: 'Second visit.' }
  })
  const ack = await as('trainee').post(`/v1/observations/${submitted.id}/acknowledge`, { headers: ifMatch(amended), body: { comment: 'Agreed.' } })
  t.equal(ack.statusCode, 200)
  const other = (await as('otherSupervisor').post('/v1/observations', {
    body: session(w.otherTrainee.id, { scores: completeScores(), submit: true })
  })).json()

  await t.test('the observing supervisor, the trainee, the programme coordinator and admin can read', async (t) => {
    for (const key of ['supervisor', 'trainee', 'coordinator'] as const) {
      const res = await as(key).get(`/v1/observations/${submitted.id}`)
      t.equal(res.statusCode, 200, `${key} reads it`)
      t.equal(res.json().strengths, 'Warm.', `${key} sees the narrative`)
      t.equal(res.json().scores[0].evidence, completeScores()[0]!.evidence)
    }
    t.equal((await client(app, adminKey).get(`/v1/observations/${submitted.id}`)).statusCode, 200)
  })

  await t.test('out of scope is not found', async (t) => {
    for (const key of ['otherSupervisor', 'otherTrainee', 'otherCoordinator', 'otherIntegrator'] as const) {
      t.equal((await as(key).get(`/v1/observations/${submitted.id}`)).statusCode, 404, `${key} gets 404`)
      t.equal((await as(key).get(`/v1/observations/${submitted.id}/history`)).statusCode, 404, `${key} gets 404 for the history`)
    }
    t.equal((await as('otherSupervisor').patch(`/v1/observations/${draft.id}`, { headers: { 'if-match': '*' }, body: { setting: 'x' } })).statusCode, 404)
    t.equal((await as('otherSupervisor').post(`/v1/observations/${submitted.id}/amendments`, { headers: { 'if-match': '*' }, body: { reason: 'x', setting: 'x' } })).statusCode, 404,
      'only the supervisor who made it (or an admin) amends')
    t.equal((await as('otherTrainee').post(`/v1/observations/${other.id}/submit`, { headers: { 'if-match': '*' } })).statusCode, 403)
    t.equal((await as('trainee').post(`/v1/observations/${other.id}/acknowledge`, { headers: { 'if-match': '*' }, body: {} })).statusCode, 404,
      'a trainee cannot acknowledge someone else\'s observation')
  })

  await t.test('drafts are the supervisor\'s own', async (t) => {
    for (const key of ['trainee', 'integrator'] as const) {
      t.equal((await as(key).get(`/v1/observations/${draft.id}`)).statusCode, 404, `${key} cannot see a draft`)
      const list = await as(key).get('/v1/observations')
      t.notOk(list.json().items.some((o: { id: string }) => o.id === draft.id), `${key}'s list has no drafts`)
    }
    t.equal((await as('coordinator').get(`/v1/observations/${draft.id}`)).statusCode, 200, 'a coordinator sees drafts in their programme')
  })

  await t.test('wrong role for an action is forbidden', async (t) => {
    const edit = { headers: { 'if-match': '*' }, body: { setting: 'x' } }
    t.equal((await as('coordinator').patch(`/v1/observations/${draft.id}`, edit)).statusCode, 403)
    t.equal((await as('trainee').patch(`/v1/observations/${draft.id}`, edit)).statusCode, 403)
    t.equal((await as('integrator').post(`/v1/observations/${submitted.id}/amendments`, { ...edit, body: { reason: 'x', setting: 'x' } })).statusCode, 403)
    t.equal((await supervisor.post(`/v1/observations/${submitted.id}/acknowledge`, { headers: { 'if-match': '*' }, body: {} })).statusCode, 403,
      'only the trainee acknowledges')
  })

  await t.test('integrators never receive narrative text', async (t) => {
    const integrator = as('integrator')
    const one = await integrator.get(`/v1/observations/${submitted.id}`)
    t.equal(one.statusCode, 200)
    const body = one.json()
    for (const field of NARRATIVE) t.notOk(field in body, `no ${field}`)
    t.ok(body.scores.length > 0 && body.scores.every((s: object) => !('evidence' in s)), 'scores without evidence')
    t.match(body, { status: 'acknowledged', summary: { overall: 3.17 }, scores: [{ criterionKey: 'eye-contact', level: 3 }] }, 'scores and summary remain')

    const list = (await integrator.get('/v1/observations')).json()
    t.same(list.items.map((o: { id: string }) => o.id), [submitted.id])
    t.notOk(NARRATIVE.some((f) => f in list.items[0]), 'nor in lists')

    const history = (await integrator.get(`/v1/observations/${submitted.id}/history`)).json()
    t.same(history.items.map((i: { kind: string }) => i.kind), ['submitted', 'amended', 'acknowledged'])
    for (const item of history.items) {
      t.notOk('reason' in item, `revision ${item.revision} has no reason text`)
      t.notOk(NARRATIVE.some((f) => f in item.snapshot) || item.snapshot.scores.some((s: object) => 'evidence' in s), `revision ${item.revision} snapshot has no narrative`)
    }
    t.notOk(JSON.stringify(history).includes('Client named'), 'the amendment reason does not leak')
    const rev = (await integrator.get(`/v1/observations/${submitted.id}/revisions/1`)).json()
    t.notOk('strengths' in rev.snapshot)
  })

  await t.test('lists: scope, filters and cursor pages', async (t) => {
    const mine = (await supervisor.get('/v1/observations')).json()
    t.same(mine.items.map((o: { id: string }) => o.id), [submitted.id, draft.id], 'a supervisor lists their own, newest first')
    const coordinator = (await as('coordinator').get('/v1/observations')).json()
    t.same(coordinator.items.map((o: { id: string }) => o.id).sort(), [submitted.id, draft.id, other.id].sort(), 'a coordinator lists the programme')
    t.same((await as('otherCoordinator').get('/v1/observations')).json().items, [])

    const admin = client(app, adminKey)
    const byStatus = (await admin.get('/v1/observations', { query: { status: 'draft' } })).json()
    t.same(byStatus.items.map((o: { id: string }) => o.id), [draft.id])
    const byTrainee = (await admin.get('/v1/observations', { query: { traineeId: w.otherTrainee.id } })).json()
    t.same(byTrainee.items.map((o: { id: string }) => o.id), [other.id])
    const byDates = (await admin.get('/v1/observations', { query: { from: '2024-06-01', to: '2024-06-30' } })).json()
    t.same(byDates.items.map((o: { id: string }) => o.id), [submitted.id], 'from/to filter on session dates')
    const bySupervisor = (await admin.get('/v1/observations', { query: { supervisorId: w.otherSupervisor.id, programId: w.program.id } })).json()
    t.same(bySupervisor.items.map((o: { id: string }) => o.id), [other.id])

    const first = (await admin.get('/v1/observations', { query: { limit: '2' } })).json()
    t.equal(first.items.length, 2)
    t.type(first.nextCursor, 'string')
    const second = (await admin.get('/v1/observations', { query: { limit: '2', cursor: first.nextCursor } })).json()
    t.same(second.items.length, 1)
    t.equal(second.nextCursor, null)
    t.same([...first.items, ...second.items].map((o: { id: string }) => o.id), [other.id, submitted.id, draft.id], 'pages neither skip nor repeat')
    t.equal((await admin.get('/v1/observations', { query: { cursor: 'nonsense' } })).statusCode, 400)
  })

  await t.test('every read leaves an audit row', async (t) => {
    const count = async () => (await db.select({ id: auditEvents.id }).from(auditEvents)
      .where(and(eq(auditEvents.objectId, other.id), eq(auditEvents.action, 'observation.read')))).length
    const before = await count()
    await as('otherSupervisor').get(`/v1/observations/${other.id}`)
    t.equal(await count(), before + 1, 'a single read')
    await as('otherSupervisor').get('/v1/observations')
    t.equal(await count(), before + 2, 'a list read, one row per observation listed')
    await as('otherSupervisor').get(`/v1/observations/${other.id}/history`)
    t.equal(await count(), before + 3, 'a history read')
    await as('supervisor').get(`/v1/observations/${other.id}`)
    t.equal(await count(), before + 3, 'a refused read is not a read')
    t.same((await auditActions(db, other.id))[0], 'observation.create')
  })
})
