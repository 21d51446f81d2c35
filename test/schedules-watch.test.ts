import t from 'tap'
import { buildTestApp, client } from './helpers/app.ts'
import { eventually } from './helpers/accounts.ts'
import { assign } from './helpers/factories.ts'
import { completeScores, createObservation, ifMatch } from './helpers/observations.ts'
import { eligibilityEvents, zonedWorld } from './helpers/schedules.ts'

// The background loops on, as a deployed instance runs them: relay, then the eligibility watch.
const { app, db } = await buildTestApp(t, { DISPATCHER_ENABLED: 'true' })

t.test('a submission through the API makes the trainee eligible, told by the watch without a request waiting on it', async (t) => {
  const w = await zonedWorld(db, 'Asia/Kolkata', { rules: [{ kind: 'minObservations', count: 1 }] })
  await assign(db, w.supervisor.id, w.trainee.id)
  const supervisor = client(app, w.supervisorKey)
  const draft = await createObservation(supervisor, w.trainee.id, { scores: completeScores() })
  const submitted = await supervisor.post(`/v1/observations/${draft.json().id}/submit`, { headers: ifMatch(draft) })
  t.equal(submitted.statusCode, 200)
  const told = await eventually(() => eligibilityEvents(db, w.trainee.id), (e) => e.length > 0, 10_000)
  t.match(told, [{ traineeId: w.trainee.id, programId: w.program.id, from: null, to: 'eligible', cause: 'activity' }])
})
