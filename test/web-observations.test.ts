import t from 'tap'
import { buildTestApp, client } from './helpers/app.ts'
import { makeWorld } from './helpers/factories.ts'
import { parsePdf } from './helpers/pdf.ts'
import { signedIn } from './helpers/web.ts'
import { testRubric } from './fixtures/rubric.ts'

/** The supervisor's scoring pages and the trainee's acknowledgement, through real HTTP requests with cookies. */
t.test('scoring a session in the web pages', async (t) => {
  const { app, db, adminKey } = await buildTestApp(t)
  const w = await makeWorld(db)
  const admin = client(app, adminKey)
  const supervisor = await signedIn(app, admin, { role: 'supervisor', name: 'Dana Reyes', email: 'dana@example.org', supervisorId: w.supervisor.id })
  const trainee = await signedIn(app, admin, { role: 'trainee', name: 'Sam Lee', email: 'sam@example.org', traineeId: w.trainee.id })
  const session = { sessionDate: '2025-03-10', durationMinutes: '45', setting: 'Hospice room', modality: 'in_person', contextNote: '' }
  let draftPath = ''

  await t.test('my trainees lists the assigned trainee with a link to a new observation', async (t) => {
    const page = await supervisor.get('/my/trainees')
    t.equal(page.statusCode, 200)
    t.match(page.body, `/observations/new?trainee=${w.trainee.id}`)
    t.notMatch(page.body, w.otherTrainee.id, 'not another supervisor\'s trainee')
  })

  await t.test('the form shows every level\'s label and descriptor, and "not observed" only where allowed', async (t) => {
    const form = await supervisor.get(`/observations/new?trainee=${w.trainee.id}`)
    t.equal(form.statusCode, 200)
    for (const c of testRubric.areas.flatMap((a) => a.criteria)) {
      t.match(form.body, `<legend>${c.title}`, `a fieldset for ${c.title}`)
      for (const l of c.levels) t.ok(form.body.includes(l.descriptor), `with the descriptor of level ${l.value}`)
    }
    t.equal((form.body.match(/value="not-observed"/g) ?? []).length, 1, 'one criterion allows "not observed"')
    t.match(form.body, /<label for="eye-contact-3"><span class="label">Proficient \(3\)<\/span>/)
  })

  await t.test('bad input comes back next to its field, with what was typed kept', async (t) => {
    const res = await supervisor.post(`/observations/new?trainee=${w.trainee.id}`, { ...session, durationMinutes: 'ninety', setting: 'Clinic Ω', action: 'save' })
    t.equal(res.statusCode, 422)
    t.match(res.body, /id="durationMinutes-error">Enter a whole number\./)
    t.match(res.body, /id="durationMinutes"[^>]*aria-invalid="true"/)
    t.match(res.body, /value="Clinic Ω"/, 'the typed setting is kept')
  })

  await t.test('save a draft, come back to it, and it is all there', async (t) => {
    const res = await supervisor.post(`/observations/new?trainee=${w.trainee.id}`, {
      ...session, 'level.eye-contact': '3', 'evidence.eye-contact': 'Held gaze <calmly>.', 'level.non-verbal': 'not-observed', strengths: 'Warm.', action: 'save'
    })
    t.equal(res.statusCode, 303, res.body.slice(0, 300))
    draftPath = String(res.headers.location).replace(/\?.*$/, '')
    t.match(draftPath, /^\/observations\/[0-9a-f-]{36}\/edit$/)
    const page = await supervisor.get(`${draftPath}?saved=1`)
    t.match(page.body, /Draft saved\./)
    t.match(page.body, /id="eye-contact-3" name="level.eye-contact" value="3" checked/)
    t.match(page.body, /id="non-verbal-not-observed" name="level.non-verbal" value="not-observed" checked/)
    t.match(page.body, /Held gaze &lt;calmly&gt;\./, 'evidence kept, and escaped')
  })

  await t.test('a save over someone else\'s newer save is refused, and the typing is kept', async (t) => {
    const tabA = await supervisor.get(draftPath)
    const revision = /name="revision" value="(\d+)"/.exec(tabA.body)![1]!
    const first = await supervisor.post(draftPath, { ...session, revision, 'level.eye-contact': '4', strengths: 'From the other tab.', action: 'save' })
    t.equal(first.statusCode, 303, 'the first save goes through')
    const stale = await supervisor.post(draftPath, { ...session, revision, 'level.eye-contact': '2', strengths: 'Typed in this tab.', action: 'save' })
    t.equal(stale.statusCode, 409)
    t.match(stale.body, /changed elsewhere/)
    t.match(stale.body, /Typed in this tab\./, 'what this tab typed is still on the page')
    const now = await supervisor.get(draftPath)
    t.match(now.body, /From the other tab\./, 'nothing was overwritten')
  })

  await t.test('review lists what is missing; a complete draft is submitted and becomes read-only', async (t) => {
    const id = draftPath.split('/')[2]!
    const page = await supervisor.get(draftPath)
    const revision = /name="revision" value="(\d+)"/.exec(page.body)![1]!
    const toReview = await supervisor.post(draftPath, {
      ...session, revision, 'level.eye-contact': '3', 'level.body-language': '4', 'level.paraphrasing': '2', 'level.non-verbal': 'not-observed',
      strengths: 'Warm.', areasForGrowth: 'Summarize.', actionPlan: 'Practise.', action: 'review'
    })
    t.equal(toReview.headers.location, `/observations/${id}/review`)
    const review = await supervisor.get(`/observations/${id}/review`)
    t.match(review.body, /Overall/)
    const submitted = await supervisor.post(`/observations/${id}/submit`, { revision: /name="revision" value="(\d+)"/.exec(review.body)![1]! })
    t.equal(submitted.statusCode, 303)
    const view = await supervisor.get(`/observations/${id}?submitted=1`)
    t.match(view.body, /Submitted\. The trainee can now read/)
    t.notMatch(view.body, /name="level\./, 'no form fields: read-only')
    t.equal((await supervisor.get(draftPath)).headers.location, `/observations/${id}`, 'the edit page sends to the read-only view')
    const pdf = await supervisor.get(`/observations/${id}/report.pdf`)
    t.equal(pdf.headers['content-type'], 'application/pdf')
    t.match((await parsePdf(pdf.rawPayload)).text, /Observation feedback report/)
  })

  await t.test('the trainee acknowledges it with a comment', async (t) => {
    const id = draftPath.split('/')[2]!
    const list = await trainee.get('/my/observations')
    t.match(list.body, /To acknowledge/)
    const view = await trainee.get(`/observations/${id}`)
    t.match(view.body, /I have read this feedback/)
    const revision = /name="revision" value="(\d+)"/.exec(view.body)![1]!
    const ack = await trainee.post(`/observations/${id}/acknowledge`, { revision, comment: 'Merci — дякую' })
    t.equal(ack.statusCode, 303)
    const after = await trainee.get(`/observations/${id}?acknowledged=1`)
    t.match(after.body, /Merci — дякую/)
  })

  await t.test('a submitted observation is amended with a reason, as a new revision', async (t) => {
    const id = draftPath.split('/')[2]!
    const form = await supervisor.get(`/observations/${id}/amend`)
    t.equal(form.statusCode, 200)
    t.match(form.body, /Reason for the amendment/)
    const revision = /name="revision" value="(\d+)"/.exec(form.body)![1]!
    const filled = { ...session, revision, 'level.eye-contact': '4', 'level.body-language': '4', 'level.paraphrasing': '2', 'level.non-verbal': 'not-observed', strengths: 'Warm.', action: 'amend' }
    const noReason = await supervisor.post(`/observations/${id}/amend`, { ...filled, reason: ' ' })
    t.equal(noReason.statusCode, 422)
    t.match(noReason.body, /id="reason-error">Say why the observation is being changed\./)
    const done = await supervisor.post(`/observations/${id}/amend`, { ...filled, reason: 'Eye contact was sustained throughout; corrected.' })
    t.equal(done.statusCode, 303, done.body.slice(0, 300))
    const view = await supervisor.get(`/observations/${id}?amended=1`)
    t.match(view.body, /Amendment saved as a new revision/)
    t.match(view.body, /Exemplary \(4\)/)
    const history = (await admin.get(`/v1/observations/${id}/history`)).json()
    t.equal(history.items.at(-1).kind, 'amended')
    t.equal(history.items.at(-1).reason, 'Eye contact was sustained throughout; corrected.')
  })

  await t.test('autosave: the same post answered in JSON; a stale one is refused, nothing overwritten', async (t) => {
    const json = (res: { body: string }) => JSON.parse(res.body) as { saved: boolean; revision?: number; editUrl?: string; message?: string }
    const early = await supervisor.post(`/observations/new?trainee=${w.trainee.id}`, { ...session, setting: '', action: 'autosave' })
    t.same([early.statusCode, json(early).saved], [422, false], 'not storable yet: nothing created')
    const first = await supervisor.post(`/observations/new?trainee=${w.trainee.id}`, { ...session, strengths: 'Typed so far', action: 'autosave' })
    t.equal(first.statusCode, 200)
    const { editUrl, revision } = json(first)
    t.match(editUrl, /^\/observations\/[0-9a-f-]{36}\/edit$/, 'the draft now exists; the page continues at its edit address')
    const next = await supervisor.post(editUrl!, { ...session, revision: String(revision), strengths: 'Typed a bit more', action: 'autosave' })
    t.same([next.statusCode, json(next).saved, json(next).revision], [200, true, revision! + 1])
    const stale = await supervisor.post(editUrl!, { ...session, revision: String(revision), strengths: 'From an old tab', action: 'autosave' })
    t.equal(stale.statusCode, 409)
    t.match(json(stale).message, /changed elsewhere/)
    t.match((await supervisor.get(editUrl!)).body, /Typed a bit more/, 'the newer save stands')
  })

  await t.test('another supervisor\'s trainee is not reachable, and posts need the CSRF token', async (t) => {
    t.equal((await supervisor.get(`/observations/new?trainee=${w.otherTrainee.id}`)).statusCode, 404)
    t.equal((await supervisor.post(`/observations/new?trainee=${w.otherTrainee.id}`, { ...session, action: 'save' })).statusCode, 404)
    t.equal((await supervisor.post(`/observations/new?trainee=${w.trainee.id}`, { ...session, action: 'save' }, { csrf: null })).statusCode, 403)
    t.equal((await trainee.get(`/observations/new?trainee=${w.trainee.id}`)).statusCode, 403, 'a trainee does not score')
  })

  await t.test('a coordinator sees their cohorts and pulls the reports', async (t) => {
    const coordinator = await signedIn(app, admin, { role: 'coordinator', name: 'Kim Ode', email: 'kim@example.org', programIds: [w.program.id] })
    const list = await coordinator.get('/cohorts')
    t.match(list.body, `/cohorts/${w.cohort.id}`)
    const cohort = await coordinator.get(`/cohorts/${w.cohort.id}`)
    t.equal(cohort.statusCode, 200)
    t.match(cohort.body, /Safe environment/)
    t.match(cohort.body, `/trainees/${w.trainee.id}/progress.pdf`)
    const csv = await coordinator.get(`/cohorts/${w.cohort.id}/report.csv`)
    t.match(String(csv.headers['content-type']), /text\/csv/)
    t.equal((await coordinator.get(`/cohorts/${w.cohort.id}/report.pdf`)).headers['content-type'], 'application/pdf')
    const progress = await coordinator.get(`/trainees/${w.trainee.id}/progress.pdf`)
    t.match((await parsePdf(progress.rawPayload)).text, /Trainee progress report/)
    t.equal((await coordinator.get(`/cohorts/${w.cohort.id}`.replace(w.cohort.id, '00000000-0000-4000-8000-000000000000'))).statusCode, 404)
    t.equal((await supervisor.get('/cohorts')).statusCode, 403, 'not a supervisor\'s page')
  })
})
