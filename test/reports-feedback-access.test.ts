import t from 'tap'
import { eq } from 'drizzle-orm'
import { programs, supervisors, trainees } from '../src/db/schema/index.ts'
import { buildTestApp, client } from './helpers/app.ts'
import { makeWorld } from './helpers/factories.ts'
import { auditActions, completeScores, createObservation, ifMatch, session } from './helpers/observations.ts'
import { parsePdf } from './helpers/pdf.ts'
import { testRubric } from './fixtures/rubric.ts'

t.test('GET /v1/observations/{id}/report.pdf', async (t) => {
  const { app, db } = await buildTestApp(t)
  const w = await makeWorld(db)
  await db.update(trainees).set({ name: 'Łukasz Żółć' }).where(eq(trainees.id, w.trainee.id))
  await db.update(supervisors).set({ name: 'Đặng Thị Hương' }).where(eq(supervisors.id, w.supervisor.id))
  await db.update(programs).set({ name: 'Programme for Ольга' }).where(eq(programs.id, w.program.id))
  const supervisor = client(app, w.keys.supervisor)
  const trainee = client(app, w.keys.trainee)

  const submitted = async (date: string, scores: Array<Record<string, unknown>> = completeScores(), extra: Record<string, unknown> = {}) => {
    const res = await supervisor.post('/v1/observations', { body: session(w.trainee.id, { sessionDate: date, scores, submit: true, ...extra }) })
    if (res.statusCode !== 201) throw new Error(res.body)
    return res
  }
  const earlier = await submitted('2024-03-01', completeScores().map((s) => ('level' in s ? { ...s, level: 1 } : s)))
  const current = await submitted('2024-05-02', completeScores(), { setting: 'Home visit with Zoë Ñúñez', strengths: 'Calm, warm presence.' })
  const id = current.json().id as string
  const url = `/v1/observations/${id}/report.pdf`

  await t.test('the supervisor gets the PDF with the header, every criterion, next steps and a trend', async (t) => {
    const res = await supervisor.get(url)
    t.equal(res.statusCode, 200)
    t.equal(res.headers['content-type'], 'application/pdf')
    t.match(String(res.headers['content-disposition']), /^inline; filename="feedback-2024-05-02-FR-/)
    const pdf = await parsePdf(res.rawPayload)
    for (const text of ['Łukasz Żółć', 'Đặng Thị Hương', 'Programme for Ольга', 'Home visit with Zoë Ñúñez', 'In person', 'Calm, warm presence.']) {
      t.ok(pdf.text.includes(text), `shows "${text}"`)
    }
    t.ok(pdf.text.includes(`${w.rubricVersion.title}`), 'names the rubric')
    for (const c of testRubric.areas.flatMap((a) => a.criteria)) t.ok(pdf.text.includes(c.title), `criterion "${c.title}"`)
    t.ok(pdf.text.includes('Eye contact: evident and adapted to the client.'), 'eye contact at level 3: next step is the level 4 descriptor')
    t.ok(pdf.text.includes('Paraphrasing: consistently evident.'), 'paraphrasing at level 2: next step is the level 3 descriptor')
    t.ok(pdf.text.includes('Not observed'), 'non-verbal cues: not observed')
    t.ok(pdf.text.includes('last 2 submitted observations'), 'the trend covers the earlier observation and this one')
    t.ok(pdf.text.includes(`Page 1 of ${pdf.pages.length}`), 'numbered pages')
    t.same((await auditActions(db, id)).filter((a) => a === 'observation.read').length, 1, 'the download is audited as a read')
  })

  await t.test('the trainee gets their own report, with their acknowledgement', async (t) => {
    const ack = await trainee.post(`/v1/observations/${id}/acknowledge`, { headers: ifMatch(current), body: { comment: 'Merci — дякую!' } })
    t.equal(ack.statusCode, 200)
    const res = await trainee.get(url)
    t.equal(res.statusCode, 200)
    const pdf = await parsePdf(res.rawPayload)
    t.ok(pdf.text.includes('Acknowledged by the trainee on'), 'the acknowledgement is shown')
    t.ok(pdf.text.includes('Merci — дякую!'), 'with the trainee\'s comment')
    const earlierPdf = await parsePdf((await trainee.get(`/v1/observations/${earlier.json().id}/report.pdf`)).rawPayload)
    t.ok(earlierPdf.text.includes('first submitted observation'), 'the earliest report has no earlier sessions in its trend')
  })

  await t.test('the coordinator of the program may read it; anyone out of scope gets 404', async (t) => {
    t.equal((await client(app, w.keys.coordinator).get(url)).statusCode, 200, 'coordinator of the program')
    for (const key of ['otherSupervisor', 'otherTrainee', 'otherCoordinator'] as const) {
      const res = await client(app, w.keys[key]).get(url)
      t.equal(res.statusCode, 404, `${key}: 404, as if it did not exist`)
      t.equal(res.json().type, '/problems/not-found')
    }
    t.equal((await supervisor.get('/v1/observations/00000000-0000-4000-8000-000000000000/report.pdf')).statusCode, 404, 'unknown id')
  })

  await t.test('integrators are refused: the report is narrative feedback', async (t) => {
    const res = await client(app, w.keys.integrator).get(url)
    t.equal(res.statusCode, 403)
    t.equal(res.json().type, '/problems/forbidden')
  })

  await t.test('a draft has no report: 409 for its supervisor, 404 for the trainee who cannot see it', async (t) => {
    const draft = await createObservation(supervisor, w.trainee.id)
    const draftUrl = `/v1/observations/${draft.json().id}/report.pdf`
    const res = await supervisor.get(draftUrl)
    t.equal(res.statusCode, 409)
    t.equal(res.json().type, '/problems/conflict')
    t.equal((await trainee.get(draftUrl)).statusCode, 404)
  })
})
