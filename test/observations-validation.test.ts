import t from 'tap'
import { eq } from 'drizzle-orm'
import { assignments, programs } from '../src/db/schema/index.ts'
import { buildTestApp, client } from './helpers/app.ts'
import { assign, makeTrainee, makeWorld } from './helpers/factories.ts'
import { completeScores, countRows, createObservation, ifMatch, pointers, session } from './helpers/observations.ts'

t.test('observation validation', async (t) => {
  const { app, db, adminKey } = await buildTestApp(t)
  const w = await makeWorld(db)
  const supervisor = client(app, w.keys.supervisor)
  const admin = client(app, adminKey)

  await t.test('every scoring problem is reported at once, and nothing is written', async (t) => {
    const before = await countRows(db)
    const res = await supervisor.post('/v1/observations', {
      body: session(w.trainee.id, {
        scores: [
          { criterionKey: 'eye-contact', level: 7 },
          { criterionKey: 'small-talk', level: 2 },
          { criterionKey: 'paraphrasing', notObserved: true },
          { criterionKey: 'non-verbal', level: 2, notObserved: true },
          { criterionKey: 'body-language', level: 2 },
          { criterionKey: 'body-language', level: 3 },
          { criterionKey: 'summarizing', evidence: 'Summed up at the end.' }
        ]
      })
    })
    t.equal(res.statusCode, 422)
    t.equal(res.json().type, '/problems/unprocessable')
    t.same(pointers(res), ['/scores/0/level', '/scores/1/criterionKey', '/scores/2/notObserved', '/scores/3', '/scores/5/criterionKey', '/scores/6'])
    const detail = (p: string) => res.json().errors.find((e: { pointer: string }) => e.pointer === p).detail as string
    t.equal(detail('/scores/0/level'), 'must be one of: 1, 2, 3, 4', 'a wrong level lists the allowed values')
    t.match(detail('/scores/1/criterionKey'), /"small-talk" is not a criterion/)
    t.match(detail('/scores/2/notObserved'), /Paraphrasing.*cannot be marked not observed/)
    t.match(detail('/scores/3'), /not both/)
    t.match(detail('/scores/5/criterionKey'), /more than once/)
    t.match(detail('/scores/6'), /no score yet/, 'evidence alone cannot create a score')
    t.same(await countRows(db), before, 'no observation, score or revision rows')
  })

  await t.test('create with submit: true must be complete', async (t) => {
    const before = await countRows(db)
    const res = await supervisor.post('/v1/observations', {
      body: session(w.trainee.id, { submit: true, scores: [{ criterionKey: 'eye-contact', level: 9 }, ...completeScores().slice(2)] })
    })
    t.equal(res.statusCode, 422)
    t.same(pointers(res), ['/scores/0/level', '/scores/body-language', '/scores/eye-contact'], 'entry problems and missing criteria together')
    t.same(await countRows(db), before)
  })

  await t.test('session fields', async (t) => {
    const future = await supervisor.post('/v1/observations', { body: session(w.trainee.id, { sessionDate: '2999-01-01' }) })
    t.equal(future.statusCode, 422)
    t.ok(pointers(future).includes('/sessionDate'), 'a session in the future is refused')

    const shape = await supervisor.post('/v1/observations', { body: { ...session(w.trainee.id, { durationMinutes: 0, modality: 'phone', colour: 'red' }), setting: undefined } })
    t.equal(shape.statusCode, 400)
    t.same(pointers(shape), ['/colour', '/durationMinutes', '/modality', '/setting'])

    const stringLevel = await supervisor.post('/v1/observations', { body: session(w.trainee.id, { scores: [{ criterionKey: 'eye-contact', level: '3' }] }) })
    t.equal(stringLevel.statusCode, 400, 'a level must be a number, not a string')
  })

  await t.test('the trainee must be assigned to the supervisor on the session date', async (t) => {
    const before = await countRows(db)
    const notYet = await supervisor.post('/v1/observations', { body: session(w.trainee.id, { sessionDate: '2019-06-01' }) })
    t.equal(notYet.statusCode, 422, 'a session before the assignment started')
    t.same(pointers(notYet), ['/traineeId'])

    const others = await supervisor.post('/v1/observations', { body: session(w.otherTrainee.id) })
    t.equal(others.statusCode, 404, 'someone else\'s trainee is not found')
    const nobody = await supervisor.post('/v1/observations', { body: session('00000000-0000-4000-8000-000000000000') })
    t.equal(nobody.statusCode, 404)

    const noCohort = await makeTrainee(db, w.org.id, null)
    await assign(db, w.supervisor.id, noCohort.id)
    const res = await supervisor.post('/v1/observations', { body: session(noCohort.id) })
    t.equal(res.statusCode, 422)
    t.match(res.json().errors, [{ pointer: '/traineeId', detail: /no cohort/ }], 'no cohort, no programme, no rubric')

    await db.update(programs).set({ active: false }).where(eq(programs.id, w.program.id))
    const inactive = await supervisor.post('/v1/observations', { body: session(w.trainee.id) })
    await db.update(programs).set({ active: true }).where(eq(programs.id, w.program.id))
    t.equal(inactive.statusCode, 422)
    t.match(inactive.json().errors, [{ pointer: '/traineeId', detail: /no longer active/ }])
    t.same(await countRows(db), before)
  })

  await t.test('who may record observations', async (t) => {
    const missing = await admin.post('/v1/observations', { body: session(w.trainee.id) })
    t.equal(missing.statusCode, 422)
    t.same(pointers(missing), ['/supervisorId'], 'an admin names the supervisor')
    const byAdmin = await admin.post('/v1/observations', { body: session(w.trainee.id, { supervisorId: w.supervisor.id }) })
    t.equal(byAdmin.statusCode, 201)
    t.equal(byAdmin.json().supervisorId, w.supervisor.id)
    const wrongPair = await admin.post('/v1/observations', { body: session(w.trainee.id, { supervisorId: w.otherSupervisor.id }) })
    t.equal(wrongPair.statusCode, 422, 'even an admin records only for an assigned pair')

    const impersonate = await supervisor.post('/v1/observations', { body: session(w.trainee.id, { supervisorId: w.otherSupervisor.id }) })
    t.equal(impersonate.statusCode, 422)
    t.same(pointers(impersonate), ['/supervisorId'])

    for (const role of ['coordinator', 'trainee', 'integrator'] as const) {
      const res = await client(app, w.keys[role]).post('/v1/observations', { body: session(w.trainee.id) })
      t.equal(res.statusCode, 403, `a ${role} may not record observations`)
    }
  })

  await t.test('a placement that changed since the last observation is noticed by the write itself', async (t) => {
    const body = session(w.trainee.id, { scores: completeScores(), submit: true })
    t.equal((await supervisor.post('/v1/observations', { body })).statusCode, 201, 'recorded once, so the trainee\'s programme is remembered')
    const before = await countRows(db)

    await db.update(programs).set({ active: false }).where(eq(programs.id, w.program.id))
    const inactive = await supervisor.post('/v1/observations', { body })
    await db.update(programs).set({ active: true }).where(eq(programs.id, w.program.id))
    t.equal(inactive.statusCode, 422, 'a deactivated programme is refused')
    t.match(inactive.json().errors, [{ pointer: '/traineeId', detail: /no longer active/ }])

    await db.update(assignments).set({ active: false }).where(eq(assignments.traineeId, w.trainee.id))
    const unassigned = await supervisor.post('/v1/observations', { body })
    await db.update(assignments).set({ active: true }).where(eq(assignments.traineeId, w.trainee.id))
    t.equal(unassigned.statusCode, 404, 'a trainee no longer assigned is not found')
    t.same(await countRows(db), before, 'nothing was written by either')
    t.equal((await supervisor.post('/v1/observations', { body })).statusCode, 201, 'and once restored, recording works again')
  })

  await t.test('draft saves are validated the same way and leave nothing half-written', async (t) => {
    const created = await createObservation(supervisor, w.trainee.id, { scores: [{ criterionKey: 'eye-contact', level: 2 }] })
    const id = created.json().id
    const before = await countRows(db, id)
    const bad = await supervisor.patch(`/v1/observations/${id}`, {
      headers: ifMatch(created),
      body: { setting: 'ward', sessionDate: '2019-01-01', scores: [{ criterionKey: 'body-language', level: 3 }, { criterionKey: 'eye-contact', level: 0 }] }
    })
    t.equal(bad.statusCode, 422)
    t.same(pointers(bad), ['/scores/1/level', '/sessionDate'], 'a new session date must be covered by the assignment too')
    t.same(await countRows(db, id), before, 'the valid parts of a refused save were not applied')
    const after = await supervisor.get(`/v1/observations/${id}`)
    t.match(after.json(), { setting: 'hospice room', revision: 1, scores: [{ criterionKey: 'eye-contact', level: 2 }] })

    const empty = await supervisor.patch(`/v1/observations/${id}`, { headers: ifMatch(created), body: {} })
    t.equal(empty.statusCode, 400, 'an empty save is refused')
    const flip = await supervisor.patch(`/v1/observations/${id}`, { headers: ifMatch(created), body: { scores: [{ criterionKey: 'non-verbal', notObserved: true }] } })
    t.equal(flip.statusCode, 200)
    const unflip = await supervisor.patch(`/v1/observations/${id}`, { headers: ifMatch(flip), body: { scores: [{ criterionKey: 'non-verbal', notObserved: false }] } })
    t.equal(unflip.statusCode, 422, 'notObserved: false alone leaves the criterion without a level')
    t.same(pointers(unflip), ['/scores/0/notObserved'])
  })

  await t.test('amendments need a reason, a change, and a complete result', async (t) => {
    const created = await supervisor.post('/v1/observations', { body: session(w.trainee.id, { scores: completeScores(), submit: true }) })
    const id = created.json().id
    const before = await countRows(db, id)
    const blank = await supervisor.post(`/v1/observations/${id}/amendments`, { headers: ifMatch(created), body: { reason: '   ', setting: 'ward' } })
    t.equal(blank.statusCode, 400, 'a blank reason is no reason')
    const nothing = await supervisor.post(`/v1/observations/${id}/amendments`, { headers: ifMatch(created), body: { reason: 'typo' } })
    t.equal(nothing.statusCode, 422, 'a reason alone changes nothing')
    const same = await supervisor.post(`/v1/observations/${id}/amendments`, { headers: ifMatch(created), body: { reason: 'typo', setting: 'hospice room' } })
    t.equal(same.statusCode, 422, 'an amendment that changes no value is refused')
    const incomplete = await supervisor.post(`/v1/observations/${id}/amendments`, {
      headers: ifMatch(created), body: { reason: 'Was not really observed', scores: [{ criterionKey: 'eye-contact', level: null }] }
    })
    t.equal(incomplete.statusCode, 422)
    t.same(pointers(incomplete), ['/scores/eye-contact'], 'a submitted observation stays complete')
    const stale = await supervisor.post(`/v1/observations/${id}/amendments`, { headers: { 'if-match': `"${id}.0"` }, body: { reason: 'x', setting: 'ward' } })
    t.equal(stale.statusCode, 412)
    const missing = await supervisor.post(`/v1/observations/${id}/amendments`, { body: { reason: 'x', setting: 'ward' } })
    t.equal(missing.statusCode, 428)
    t.same(await countRows(db, id), before, 'refused amendments wrote nothing')
  })
})
