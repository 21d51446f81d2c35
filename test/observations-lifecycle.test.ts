import t from 'tap'
import { eq, sql } from 'drizzle-orm'
import { programs } from '../src/db/schema/index.ts'
import { buildTestApp, client } from './helpers/app.ts'
import { makeRubricVersion, makeWorld } from './helpers/factories.ts'
import { auditActions, completeScores, countRows, createObservation, ifMatch, pointers, session } from './helpers/observations.ts'
import { testRubric } from './fixtures/rubric.ts'

t.test('observation lifecycle', async (t) => {
  const { app, db } = await buildTestApp(t)
  const w = await makeWorld(db)
  const supervisor = client(app, w.keys.supervisor)
  const trainee = client(app, w.keys.trainee)

  await t.test('draft -> save -> save -> submit -> acknowledge -> amend -> acknowledge, every step a revision', async (t) => {
    const created = await supervisor.post('/v1/observations', {
      body: session(w.trainee.id, { scores: [{ criterionKey: 'eye-contact', level: 3 }] })
    })
    t.equal(created.statusCode, 201)
    const obs = created.json()
    t.equal(created.headers.location, `/v1/observations/${obs.id}`, 'Location names the new observation')
    t.equal(created.headers.etag, `"${obs.id}.1"`, 'ETag names revision 1')
    t.match(obs, {
      status: 'draft', revision: 1, traineeId: w.trainee.id, supervisorId: w.supervisor.id, programId: w.program.id,
      rubric: { id: w.rubricVersion.id, version: 1 }, setting: 'hospice room', modality: 'in_person', submittedAt: null
    })
    t.same(obs.scores, [{ areaKey: 'safety', criterionKey: 'eye-contact', criterionTitle: 'Eye contact', level: 3, levelLabel: 'Proficient', notObserved: false, evidence: null }])

    const save1 = await supervisor.patch(`/v1/observations/${obs.id}`, {
      headers: ifMatch(created),
      body: { strengths: 'Warm opening.', scores: [{ criterionKey: 'body-language', level: 4 }, { criterionKey: 'summarizing', level: 1 }] }
    })
    t.equal(save1.statusCode, 200)
    t.equal(save1.headers.etag, `"${obs.id}.2"`)
    t.equal(save1.json().strengths, 'Warm opening.')
    t.same(save1.json().scores.map((s: { criterionKey: string }) => s.criterionKey), ['eye-contact', 'body-language', 'summarizing'], 'scores merge by criterion, in rubric order')

    const save2 = await supervisor.patch(`/v1/observations/${obs.id}`, {
      headers: ifMatch(save1),
      body: {
        durationMinutes: 45,
        scores: [
          { criterionKey: 'eye-contact', evidence: 'Steady eye contact.' },
          { criterionKey: 'summarizing', level: null },
          ...completeScores().slice(2)
        ]
      }
    })
    t.equal(save2.statusCode, 200)
    const saved = save2.json()
    t.equal(saved.revision, 3)
    t.equal(saved.durationMinutes, 45)
    t.match(saved.scores[0], { criterionKey: 'eye-contact', level: 3, evidence: 'Steady eye contact.' }, 'evidence alone annotates the existing score')
    t.notOk(saved.scores.some((s: { criterionKey: string }) => s.criterionKey === 'summarizing'), 'level: null removes a score')
    t.match(saved.scores.find((s: { criterionKey: string }) => s.criterionKey === 'non-verbal'), { level: null, levelLabel: null, notObserved: true })
    t.equal((await countRows(db, obs.id)).scores, 4, 'the score rows are exactly the current scores')

    const submitted = await supervisor.post(`/v1/observations/${obs.id}/submit`, { headers: ifMatch(save2) })
    t.equal(submitted.statusCode, 200)
    t.match(submitted.json(), { status: 'submitted', revision: 4, submittedAt: String })

    const seen = await trainee.get(`/v1/observations/${obs.id}`)
    t.equal(seen.statusCode, 200, 'the trainee sees the submitted observation')
    t.equal(seen.headers.etag, submitted.headers.etag)
    const ack1 = await trainee.post(`/v1/observations/${obs.id}/acknowledge`, { headers: ifMatch(seen), body: { comment: 'Thanks, will work on summarizing.' } })
    t.equal(ack1.statusCode, 200)
    t.match(ack1.json(), { status: 'acknowledged', revision: 5, acknowledgedAt: String, acknowledgementComment: 'Thanks, will work on summarizing.' })

    const noReason = await supervisor.post(`/v1/observations/${obs.id}/amendments`, { headers: ifMatch(ack1), body: { scores: [{ criterionKey: 'eye-contact', level: 4 }] } })
    t.equal(noReason.statusCode, 400, 'an amendment needs a reason')
    t.same(pointers(noReason), ['/reason'])
    const amended = await supervisor.post(`/v1/observations/${obs.id}/amendments`, {
      headers: ifMatch(ack1), body: { reason: 'Level entered wrongly.', scores: [{ criterionKey: 'eye-contact', level: 4 }] }
    })
    t.equal(amended.statusCode, 200)
    t.match(amended.json(), { status: 'submitted', revision: 6, acknowledgedAt: null, acknowledgementComment: null }, 'an amended acknowledged observation waits for a new acknowledgement')
    t.equal(amended.json().scores[0].level, 4)
    t.equal(amended.json().submittedAt, submitted.json().submittedAt, 'the submission time stays')

    const ack2 = await trainee.post(`/v1/observations/${obs.id}/acknowledge`, { headers: ifMatch(amended), body: {} })
    t.equal(ack2.statusCode, 200)
    t.match(ack2.json(), { status: 'acknowledged', revision: 7, acknowledgementComment: null })

    const history = await supervisor.get(`/v1/observations/${obs.id}/history`)
    t.equal(history.statusCode, 200)
    const items = history.json().items as Array<{ revision: number; kind: string; reason: string | null; actor: { name: string } | null; snapshot: Record<string, unknown> }>
    t.same(items.map((i) => [i.revision, i.kind]), [
      [1, 'created'], [2, 'draft_saved'], [3, 'draft_saved'], [4, 'submitted'], [5, 'acknowledged'], [6, 'amended'], [7, 'acknowledged']
    ], 'history lists every revision, oldest first')
    t.equal(items[5]!.reason, 'Level entered wrongly.')
    t.ok(items.every((i) => i.actor !== null && i.snapshot.revision === i.revision), 'each revision names its actor and holds its whole state')
    t.equal(items[4]!.snapshot.acknowledgementComment, 'Thanks, will work on summarizing.', 'the earlier acknowledgement stays in history')
    t.same((items[0]!.snapshot.scores as unknown[]).length, 1)
    t.same((await countRows(db, obs.id)).revisions, 7)

    const one = await supervisor.get(`/v1/observations/${obs.id}/revisions/2`)
    t.equal(one.statusCode, 200)
    t.match(one.json(), { revision: 2, kind: 'draft_saved', snapshot: { strengths: 'Warm opening.', durationMinutes: 50 } })
    t.equal((await supervisor.get(`/v1/observations/${obs.id}/revisions/99`)).statusCode, 404)

    const traineeHistory = await trainee.get(`/v1/observations/${obs.id}/history`)
    t.same(traineeHistory.json().items.map((i: { kind: string }) => i.kind), ['submitted', 'acknowledged', 'amended', 'acknowledged'], 'a trainee never sees the draft revisions')
    t.equal((await trainee.get(`/v1/observations/${obs.id}/revisions/2`)).statusCode, 404)

    t.same(
      (await auditActions(db, obs.id)).filter((a) => a !== 'observation.read'),
      ['observation.create', 'observation.update', 'observation.update', 'observation.submit', 'observation.acknowledge', 'observation.amend', 'observation.acknowledge'],
      'every write is audited'
    )
    t.ok((await auditActions(db, obs.id)).includes('observation.read'), 'reads are audited')
  })

  await t.test('create and submit in one request', async (t) => {
    const res = await supervisor.post('/v1/observations', { body: session(w.trainee.id, { scores: completeScores(), submit: true, strengths: 'Calm.' }) })
    t.equal(res.statusCode, 201)
    t.match(res.json(), { status: 'submitted', revision: 1, submittedAt: String })
    t.same(res.json().summary, {
      areas: [
        { areaKey: 'safety', title: 'Safe environment', score: 3.75, scoredCriteria: 2, totalCriteria: 2 },
        { areaKey: 'listening', title: 'Active listening', score: 2, scoredCriteria: 1, totalCriteria: 3 }
      ],
      overall: 3.17
    }, 'criterion and area weights apply; not observed and unscored criteria are left out')
    const history = (await supervisor.get(`/v1/observations/${res.json().id}/history`)).json()
    t.same(history.items.map((i: { kind: string }) => i.kind), ['submitted'], 'one saved state, one revision')
    t.same(await countRows(db, res.json().id), { observations: 1, scores: 4, revisions: 1 })
    t.same((await auditActions(db, res.json().id))[0], 'observation.create')
  })

  await t.test('If-Match is required, and a stale one changes nothing', async (t) => {
    const created = await createObservation(supervisor, w.trainee.id)
    const id = created.json().id
    const missing = await supervisor.patch(`/v1/observations/${id}`, { body: { setting: 'ward' } })
    t.equal(missing.statusCode, 428)
    t.equal(missing.json().type, '/problems/precondition-required')
    t.equal((await supervisor.post(`/v1/observations/${id}/submit`)).statusCode, 428, 'submit needs If-Match too')

    const saved = await supervisor.patch(`/v1/observations/${id}`, { headers: ifMatch(created), body: { setting: 'ward' } })
    t.equal(saved.statusCode, 200)
    const before = await countRows(db, id)
    const stale = await supervisor.patch(`/v1/observations/${id}`, { headers: ifMatch(created), body: { setting: 'day room', scores: completeScores() } })
    t.equal(stale.statusCode, 412)
    t.match(stale.json(), { type: '/problems/precondition-failed', currentEtag: saved.headers.etag })
    const after = await supervisor.get(`/v1/observations/${id}`)
    t.match(after.json(), { setting: 'ward', revision: 2, scores: [] }, 'the stale change was not applied')
    t.same(await countRows(db, id), before, 'no score or revision rows were written')
  })

  await t.test('submitting an incomplete draft lists every missing criterion and keeps the draft', async (t) => {
    const created = await createObservation(supervisor, w.trainee.id, { scores: [{ criterionKey: 'eye-contact', level: 2 }] })
    const res = await supervisor.post(`/v1/observations/${created.json().id}/submit`, { headers: ifMatch(created) })
    t.equal(res.statusCode, 422)
    t.equal(res.json().type, '/problems/unprocessable')
    t.same(pointers(res), ['/scores/body-language', '/scores/non-verbal', '/scores/paraphrasing'], 'optional criteria (summarizing) are not required')
    t.match(res.json().errors.find((e: { pointer: string }) => e.pointer === '/scores/body-language').detail, /Open body language/, 'the detail names the criterion')
    const after = await supervisor.get(`/v1/observations/${created.json().id}`)
    t.match(after.json(), { status: 'draft', revision: 1 })
    t.equal((await countRows(db, created.json().id)).revisions, 1)
  })

  await t.test('submitted observations are locked; repeating submit or acknowledge is a conflict', async (t) => {
    const created = await createObservation(supervisor, w.trainee.id, { scores: completeScores() })
    const id = created.json().id
    const submitted = await supervisor.post(`/v1/observations/${id}/submit`, { headers: ifMatch(created) })
    t.equal(submitted.statusCode, 200)

    const edit = await supervisor.patch(`/v1/observations/${id}`, { headers: ifMatch(submitted), body: { setting: 'ward' } })
    t.equal(edit.statusCode, 409)
    t.equal(edit.json().type, '/problems/record-locked')
    t.match(edit.json().detail, /amendments/, 'the problem says to amend instead')

    const again = await supervisor.post(`/v1/observations/${id}/submit`, { headers: ifMatch(created) })
    t.equal(again.statusCode, 409, 'submitting twice is a conflict, even with the old ETag')
    t.equal(again.json().type, '/problems/conflict')

    const ack = await trainee.post(`/v1/observations/${id}/acknowledge`, { headers: ifMatch(submitted) })
    t.equal(ack.statusCode, 200, 'acknowledging needs no body')
    const ackAgain = await trainee.post(`/v1/observations/${id}/acknowledge`, { headers: ifMatch(ack), body: {} })
    t.equal(ackAgain.statusCode, 409, 'acknowledging twice is a conflict')
    t.equal((await countRows(db, id)).revisions, 3)

    const amendDraft = await supervisor.post(`/v1/observations/${(await createObservation(supervisor, w.trainee.id)).json().id}/amendments`, {
      headers: { 'if-match': '*' }, body: { reason: 'x', setting: 'ward' }
    })
    t.equal(amendDraft.statusCode, 409, 'a draft is not amended')
  })

  await t.test('the database refuses to rewrite a submitted observation without a new revision', async (t) => {
    const res = await supervisor.post('/v1/observations', { body: session(w.trainee.id, { scores: completeScores(), submit: true }) })
    const id = res.json().id
    const refused = await db.execute(sql`update observations set setting = 'forged' where id = ${id}`).then(() => undefined, (err: { cause?: Error }) => err)
    t.match(refused?.cause?.message, /changes need a new revision/, 'an update without a revision bump is rejected by the trigger')
    await t.rejects(db.execute(sql`delete from observations where id = ${id}`), 'nor delete it')
    await t.rejects(db.execute(sql`update observation_revisions set reason = 'x' where observation_id = ${id}`), 'revisions are append-only')
    t.equal((await supervisor.get(`/v1/observations/${id}`)).json().setting, 'hospice room')
  })

  await t.test('an observation keeps its rubric version after the programme moves on', async (t) => {
    const created = await createObservation(supervisor, w.trainee.id, { scores: [{ criterionKey: 'eye-contact', level: 4 }] })
    const v2Definition = structuredClone(testRubric)
    v2Definition.scale = [{ value: 1, label: 'Not yet' }, { value: 2, label: 'Yes' }]
    v2Definition.areas = [{ key: 'presence', title: 'Presence', criteria: [{ key: 'attending', title: 'Attending', levels: [{ value: 1, descriptor: 'No' }, { value: 2, descriptor: 'Yes' }] }] }]
    const { version: v2 } = await makeRubricVersion(db, v2Definition)
    await db.update(programs).set({ rubricVersionId: v2.id }).where(eq(programs.id, w.program.id))

    const old = await supervisor.get(`/v1/observations/${created.json().id}`)
    t.match(old.json(), { rubric: { id: w.rubricVersion.id }, scores: [{ criterionKey: 'eye-contact', levelLabel: 'Exemplary' }] })
    const saved = await supervisor.patch(`/v1/observations/${created.json().id}`, {
      headers: ifMatch(old), body: { scores: [{ criterionKey: 'body-language', level: 3 }] }
    })
    t.equal(saved.statusCode, 200, 'later saves are still validated against the pinned version')
    const wrong = await supervisor.patch(`/v1/observations/${created.json().id}`, { headers: ifMatch(saved), body: { scores: [{ criterionKey: 'attending', level: 2 }] } })
    t.equal(wrong.statusCode, 422, 'criteria of the new version do not apply to the old observation')

    const fresh = await createObservation(supervisor, w.trainee.id, { scores: [{ criterionKey: 'attending', level: 2 }] })
    t.match(fresh.json(), { rubric: { id: v2.id }, scores: [{ criterionKey: 'attending', levelLabel: 'Yes' }] }, 'new observations use the programme\'s new version')
    await db.update(programs).set({ rubricVersionId: w.rubricVersion.id }).where(eq(programs.id, w.program.id))
  })
})
