import t from 'tap'
import { eq } from 'drizzle-orm'
import { programs, trainees } from '../src/db/schema/index.ts'
import { buildTestApp, client } from './helpers/app.ts'
import { assign, makeAccount, makeSupervisor, makeTrainee, makeWorld } from './helpers/factories.ts'
import { auditActions, completeScores, createObservation, session } from './helpers/observations.ts'
import { parsePdf } from './helpers/pdf.ts'
import { isProblem } from './helpers/structure.ts'

t.test('GET /v1/trainees/{id}/progress.pdf', async (t) => {
  const { app, db } = await buildTestApp(t)
  const w = await makeWorld(db)
  await db.update(trainees).set({ name: 'Ольга Żółć' }).where(eq(trainees.id, w.trainee.id))
  await db.update(programs).set({ name: 'Relationships certificate' }).where(eq(programs.id, w.program.id))
  const supervisor = client(app, w.keys.supervisor)
  // A second supervisor of the same trainee, whose observations the first supervisor may not read.
  const second = await makeSupervisor(db, w.org.id)
  await assign(db, second.id, w.trainee.id)
  const secondKey = (await makeAccount(db, 'supervisor', { supervisorId: second.id })).key
  const submit = async (as: typeof supervisor, date: string, level: number, extra: Record<string, unknown> = {}) => {
    const scores = completeScores().map((s) => ('level' in s ? { ...s, level } : s))
    const res = await as.post('/v1/observations', { body: session(w.trainee.id, { sessionDate: date, scores, submit: true, ...extra }) })
    if (res.statusCode !== 201) throw new Error(res.body)
    return res.json().id as string
  }
  const ids = [
    await submit(supervisor, '2024-02-01', 1, { setting: 'Hospice room' }),
    await submit(client(app, secondKey), '2024-03-01', 2, { setting: 'School office', modality: 'video' }),
    await submit(supervisor, '2024-04-01', 3, { setting: 'Hospice room' })
  ]
  await createObservation(supervisor, w.trainee.id, { sessionDate: '2024-05-01', setting: 'Draft setting' })
  const url = `/v1/trainees/${w.trainee.id}/progress.pdf`

  await t.test('the coordinator sees every submitted observation, by every supervisor', async (t) => {
    const res = await client(app, w.keys.coordinator).get(url)
    t.equal(res.statusCode, 200)
    t.equal(res.headers['content-type'], 'application/pdf')
    t.match(String(res.headers['content-disposition']), /^inline; filename="progress-PR-/)
    const pdf = await parsePdf(res.rawPayload)
    for (const text of ['Ольга Żółć', 'Relationships certificate', '3 · 150 min observed', '2024-02-01 to 2024-04-01', 'Hospice room', 'School office', 'by every supervisor']) {
      t.ok(pdf.text.includes(text), `shows "${text}"`)
    }
    t.notOk(pdf.text.includes('Draft setting'), 'drafts are left out')
    t.ok(pdf.text.includes('This program has no eligibility rules yet'), 'the eligibility section says the program has no rules')
    t.ok(pdf.text.includes('Proficient (3)'), 'the latest level per criterion comes from the latest observation')
    t.ok(/Summarizing[\s\S]{0,80}Never observed/.test(pdf.text), 'the optional criterion nobody scored is never observed')
    t.ok(pdf.text.includes('Non-verbal cues (Active listening)'), '"not observed" every time counts as never observed')
    const safety = /Safe environment\s*latest ([\d.]+) · (\w+) · first ([\d.]+)/.exec(pdf.text)
    t.same(safety?.slice(1), ['3.00', 'Proficient', '1.00'], 'the area trend runs from the first to the latest score')
    for (const id of ids) t.ok((await auditActions(db, id)).includes('observation.read'), 'each observation included is audited as read')
  })

  await t.test('the eligibility checklist follows the program\'s rules', async (t) => {
    const coordinator = client(app, w.keys.coordinator)
    const rulesUrl = `/v1/programs/${w.program.id}/eligibility-rules`
    const etag = String((await coordinator.get(rulesUrl)).headers.etag)
    t.equal((await coordinator.put(rulesUrl, { headers: { 'if-match': etag }, body: { rules: [{ kind: 'minObservations', count: 3 }, { kind: 'minSupervisors', count: 3 }] } })).statusCode, 200)
    const pdf = await parsePdf((await coordinator.get(url)).rawPayload)
    t.ok(pdf.text.includes('Not eligible: 1 of 2 rules is not met.'), 'the outcome')
    t.ok(pdf.text.includes('Needs 1 more observation by a third supervisor.'), 'what is missing, in words')
  })

  await t.test('a supervisor\'s report covers only the observations they made', async (t) => {
    const pdf = await parsePdf((await supervisor.get(url)).rawPayload)
    t.ok(pdf.text.includes('2 · 100 min observed'), 'two of the three')
    t.notOk(pdf.text.includes('School office'), 'not the other supervisor\'s session')
    t.ok(pdf.text.includes('that you made'), 'and the report says whose observations it covers')
  })

  await t.test('the trainee gets their own report; others get 404, integrators 403', async (t) => {
    const own = await client(app, w.keys.trainee).get(url)
    t.equal(own.statusCode, 200)
    t.ok((await parsePdf(own.rawPayload)).text.includes('3 · 150 min observed'))
    for (const key of ['otherSupervisor', 'otherTrainee', 'otherCoordinator'] as const) {
      isProblem(t, await client(app, w.keys[key]).get(url), 404, 'not-found', undefined, key)
    }
    isProblem(t, await client(app, w.keys.integrator).get(url), 403, 'forbidden')
    isProblem(t, await client(app, null).get(url), 401, 'unauthorized')
  })

  await t.test('another program can be named; a trainee in no cohort needs one', async (t) => {
    const admin = client(app, (await makeAccount(db, 'admin')).key)
    const other = await admin.get(url, { query: { programId: w.otherProgram.id } })
    t.equal(other.statusCode, 200)
    t.ok((await parsePdf(other.rawPayload)).text.includes('None yet'), 'no observation in that program')
    isProblem(t, await client(app, w.keys.coordinator).get(url, { query: { programId: w.otherProgram.id } }), 404, 'not-found', undefined, 'a coordinator only reports on their programs')
    const loose = await makeTrainee(db, w.org.id, null)
    isProblem(t, await admin.get(`/v1/trainees/${loose.id}/progress.pdf`), 400, 'validation', ['/query/programId'])
    isProblem(t, await admin.get(url, { query: { programId: 'nope' } }), 400, 'validation', ['/query/programId'])
  })
})
