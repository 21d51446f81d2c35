import t, { type Test } from 'tap'
import { eq } from 'drizzle-orm'
import { organizations, trainees } from '../src/db/schema/index.ts'
import { Value } from 'typebox/value'
import type { LightMyRequestResponse } from 'fastify'
import { EVENT_CATALOG, isEventType } from '../src/events/catalog.ts'
import { relayOnce } from '../src/events/relay.ts'
import { testRubric } from './fixtures/rubric.ts'
import { buildTestApp, client } from './helpers/app.ts'
import { linkProgram, makeAccount, makeWorld } from './helpers/factories.ts'
import { completeScores, ifMatch, session } from './helpers/observations.ts'
import { scimClient, userBody } from './helpers/scim.ts'

/**
 * Every writer of §7 (docs/design/events-webhooks-email.md) records its event with the change:
 * API, HR import and SCIM, each asserted by type, subject, scope-relevant ids and a payload that
 * fits its catalog schema and carries no names, notes, evidence or reasons.
 */
interface Item { id: string; type: string; subject: { type: string; id: string }; data: Record<string, unknown> }

const NARRATIVE = /strengths|areasForGrowth|actionPlan|contextNote|evidence|reason|comment|"name"|"email"|Held gaze|hospice|example\.org/

t.test('each writer records its event', async (t) => {
  const { app, db, database, adminKey } = await buildTestApp(t)
  const w = await makeWorld(db)
  const admin = client(app, adminKey)
  let cursor: string | undefined

  /** The events since the last call, each checked against its catalog schema and for narrative. */
  async function since(t: Test): Promise<Item[]> {
    await relayOnce(database.db)
    const res = await admin.get('/v1/events', { query: { limit: '200', ...(cursor ? { after: cursor } : {}) } })
    const page = res.json() as { items: Item[]; nextCursor: string }
    cursor = page.nextCursor
    for (const e of page.items) {
      t.ok(isEventType(e.type) && Value.Check(EVENT_CATALOG[e.type].data, e.data), `${e.type}: data fits the catalog schema`)
      t.notMatch(JSON.stringify(e.data), NARRATIVE, `${e.type}: no names, notes, evidence or reasons`)
    }
    return page.items
  }
  const ok = (res: LightMyRequestResponse, status = 200) => {
    if (res.statusCode !== status) throw new Error(`${res.statusCode} ${res.body}`)
    return res
  }
  const expect = async (t: Test, types: string[], subject?: string) => {
    const got = await since(t)
    t.same(got.map((e) => e.type), types, `events: ${types.join(', ')}`)
    if (subject) t.ok(got.every((e) => e.subject.id === subject), 'about the subject written')
    return got
  }
  await since(t)

  await t.test('trainees through the API: create, update, deactivate, reactivate', async (t) => {
    const created = ok(await admin.post('/v1/trainees', { body: { organizationId: w.org.id, cohortId: w.cohort.id, name: 'Tess T', email: 'tess@x.test' } }), 201)
    const id = created.json().id as string
    const [event] = await expect(t, ['trainee.created'], id)
    t.same(event!.data, { traineeId: id, organizationId: w.org.id, active: true, links: { self: `/v1/trainees/${id}` } })
    ok(await admin.patch(`/v1/trainees/${id}`, { body: { name: 'Tess U' }, headers: ifMatch(created) }))
    await expect(t, ['trainee.updated'], id)
    ok(await admin.patch(`/v1/trainees/${id}`, { body: { name: 'Tess U' } }))
    await expect(t, [], undefined)
    ok(await admin.post(`/v1/trainees/${id}/deactivate`, { headers: { 'if-match': '*' } }))
    const [off] = await expect(t, ['trainee.deactivated'], id)
    t.equal(off!.data.active, false)
    ok(await admin.post(`/v1/trainees/${id}/reactivate`, { headers: { 'if-match': '*' } }))
    await expect(t, ['trainee.reactivated'], id)
  })

  await t.test('supervisors through the API', async (t) => {
    const created = ok(await admin.post('/v1/supervisors', { body: { organizationId: w.org.id, name: 'Sam S', email: 'sam@x.test' } }), 201)
    const id = created.json().id as string
    await expect(t, ['supervisor.created'], id)
    ok(await admin.patch(`/v1/supervisors/${id}`, { body: { discipline: 'nursing' } }))
    await expect(t, ['supervisor.updated'], id)
    ok(await admin.post(`/v1/supervisors/${id}/deactivate`, { headers: { 'if-match': '*' } }))
    await expect(t, ['supervisor.deactivated'], id)
  })

  await t.test('assignments', async (t) => {
    const supervisor = ok(await admin.post('/v1/supervisors', { body: { organizationId: w.org.id, name: 'Ann A', email: 'ann@x.test' } }), 201).json().id as string
    await since(t)
    const created = ok(await admin.post('/v1/assignments', { body: { supervisorId: supervisor, traineeId: w.trainee.id, startsOn: '2024-01-01' } }), 201)
    const id = created.json().id as string
    const [event] = await expect(t, ['assignment.created'], id)
    t.match(event!.data, { assignmentId: id, traineeId: w.trainee.id, supervisorId: supervisor, active: true })
    ok(await admin.patch(`/v1/assignments/${id}`, { body: { endsOn: '2030-01-01' } }))
    await expect(t, ['assignment.updated'], id)
    ok(await admin.post(`/v1/assignments/${id}/deactivate`, { headers: { 'if-match': '*' } }))
    await expect(t, ['assignment.deactivated'], id)
    ok(await admin.post(`/v1/assignments/${id}/reactivate`, { headers: { 'if-match': '*' } }))
    await expect(t, ['assignment.reactivated'], id)
  })

  await t.test('observations: created submitted (the one-statement path), submitted, amended, acknowledged', async (t) => {
    const supervisor = client(app, w.keys.supervisor)
    const trainee = client(app, w.keys.trainee)
    const direct = ok(await supervisor.post('/v1/observations', { body: session(w.trainee.id, { scores: completeScores(), submit: true }) }), 201)
    const directId = direct.json().id as string
    const [submitted] = await expect(t, ['observation.submitted'], directId)
    t.same(submitted!.data, {
      observationId: directId, traineeId: w.trainee.id, supervisorId: w.supervisor.id, programId: w.program.id, status: 'submitted', revision: 1,
      links: { self: `/v1/observations/${directId}`, trainee: `/v1/trainees/${w.trainee.id}` }
    })
    const draft = ok(await supervisor.post('/v1/observations', { body: session(w.trainee.id, { scores: completeScores() }) }), 201)
    const id = draft.json().id as string
    await expect(t, [], undefined)
    const sent = ok(await supervisor.post(`/v1/observations/${id}/submit`, { headers: ifMatch(draft) }))
    await expect(t, ['observation.submitted'], id)
    const amended = ok(await supervisor.post(`/v1/observations/${id}/amendments`, {
      headers: ifMatch(sent), body: { reason: 'typo in the strengths', strengths: 'Kept calm and warm.' }
    }))
    const [amend] = await expect(t, ['observation.amended'], id)
    t.equal(amend!.data.revision, 3)
    ok(await trainee.post(`/v1/observations/${id}/acknowledge`, { headers: ifMatch(amended), body: { comment: 'Thanks, noted.' } }))
    const [ack] = await expect(t, ['observation.acknowledged'], id)
    t.equal(ack!.data.status, 'acknowledged')
  })

  await t.test('eligibility rules, certificates issued and revoked', async (t) => {
    ok(await admin.put(`/v1/programs/${w.program.id}/eligibility-rules`, { headers: { 'if-match': '*' }, body: { rules: [{ kind: 'minObservations', count: 1 }] } }))
    const [rules] = await expect(t, ['program.rules_changed'], w.program.id)
    t.same(rules!.data, { programId: w.program.id, version: 1, links: { self: `/v1/programs/${w.program.id}/eligibility-rules` } })
    const issued = ok(await admin.post('/v1/certificates', { body: { traineeId: w.trainee.id, programId: w.program.id } }), 201)
    const id = issued.json().id as string
    const [cert] = await expect(t, ['certificate.issued'], id)
    t.match(cert!.data, { certificateId: id, traineeId: w.trainee.id, programId: w.program.id, serial: /^RC-/ })
    ok(await admin.post(`/v1/certificates/${id}/revoke`, { headers: ifMatch(issued), body: { reason: 'issued by mistake' } }))
    await expect(t, ['certificate.revoked'], id)
  })

  await t.test('rubrics: created published, and a draft published', async (t) => {
    const key = 'events-rubric'
    ok(await admin.post('/v1/rubrics', { body: { key, definition: testRubric, publish: true } }), 201)
    const [first] = await expect(t, ['rubric.published'])
    t.match(first!.data, { rubricKey: key, version: 1, links: { self: `/v1/rubrics/${key}/versions/1` } })
    ok(await admin.post(`/v1/rubrics/${key}/versions`, { body: { definition: { ...testRubric, title: 'Changed' } } }), 201)
    await expect(t, [])
    ok(await admin.post(`/v1/rubrics/${key}/versions/2/publish`, { headers: { 'if-match': '*' } }))
    const [second] = await expect(t, ['rubric.published'])
    t.equal(second!.data.version, 2)
  })

  await t.test('HR import: batched creates and updates', async (t) => {
    await linkProgram(db, w.program.id, w.org.id)
    const csv = ['externalHrId,name,email,role,discipline,cohortId,active', `H1,Hal One,hal@x.test,trainee,,${w.cohort.id},`, 'H2,Hil Two,hil@x.test,supervisor,,,'].join('\r\n') + '\r\n'
    const send = (body: string) => app.inject({
      method: 'POST', url: `/v1/organizations/${w.org.id}/people/imports`, payload: body,
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'text/csv; charset=utf-8' }
    })
    ok(await send(csv))
    const created = await expect(t, ['trainee.created', 'supervisor.created'])
    t.match(created[0]!.data, { organizationId: w.org.id, active: true })
    ok(await send(csv.replace('Hal One', 'Hal Uno').replace('supervisor,,,', 'supervisor,,,false')))
    t.same((await since(t)).map((e) => e.type).sort(), ['supervisor.deactivated', 'trainee.updated'])
  })

  await t.test('SCIM: a user created by the identity provider', async (t) => {
    const integrator = (await makeAccount(db, 'integrator', { organizationId: w.org.id })).key
    ok(await scimClient(app, integrator).post('Users', { body: userBody() }), 201)
    const [event] = await expect(t, ['trainee.created'])
    t.match(event!.data, { organizationId: w.org.id, active: true })
    const [person] = await db.select().from(trainees).where(eq(trainees.id, event!.subject.id))
    t.equal(person?.organizationId, w.org.id, 'about the trainee the create wrote')
    const feed = (await client(app, integrator).get('/v1/events', { query: { types: 'trainee.created', limit: '200' } })).json() as { items: Item[] }
    t.ok(feed.items.some((e) => e.id === event!.id), 'the organization\'s integrator reads it')
    // An organization whose identity provider provisions supervisors: the event is read by the programs serving it.
    await db.update(organizations).set({ provisioningRole: 'supervisor' }).where(eq(organizations.id, w.org.id))
    ok(await scimClient(app, integrator).post('Users', { body: userBody() }), 201)
    const [supervisor] = await expect(t, ['supervisor.created'])
    t.match(supervisor!.data, { organizationId: w.org.id, active: true, links: { self: `/v1/supervisors/${supervisor!.subject.id}` } })
    const coordinator = (await client(app, w.keys.coordinator).get('/v1/events', { query: { types: 'supervisor.created', limit: '200' } })).json() as { items: Item[] }
    t.ok(coordinator.items.some((e) => e.id === supervisor!.id), 'the coordinator of a program serving the organization reads it')
  })
})
