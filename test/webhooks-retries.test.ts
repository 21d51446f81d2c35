import { sql } from 'drizzle-orm'
import t, { type Test } from 'tap'
import { rows } from '../src/db/rows.ts'
import { JITTER, parseRetryAfter, RETRY_DELAYS_MS, retryDelayMs } from '../src/modules/webhooks/retry-schedule.ts'
import { createDeliveryAgent, deliver, isPublicAddress } from '../src/modules/webhooks/safe-fetch.ts'
import { buildTestApp, client } from './helpers/app.ts'
import { deliverNow, deliveriesOf, emit, startReceiver, tenant, timePasses } from './helpers/webhooks.ts'

t.test('the retry schedule: about three days, ±20 % jitter, Retry-After lengthens', async (t) => {
  t.equal(RETRY_DELAYS_MS.reduce((a, b) => a + b, 0) / 3600_000 > 75, true, 'over 75 hours in all')
  t.equal(retryDelayMs(1, undefined, () => 0), 5000 * (1 - JITTER))
  t.equal(retryDelayMs(1, undefined, () => 1), 5000 * (1 + JITTER))
  t.equal(retryDelayMs(10, undefined), null, 'no wait after the tenth attempt: the delivery has failed')
  t.equal(retryDelayMs(1, 120_000, () => 0.5), 120_000, 'Retry-After, when longer')
  t.equal(retryDelayMs(3, 1000, () => 0.5), 30 * 60_000, 'never shorter than the schedule')
  t.equal(retryDelayMs(1, 7 * 86_400_000, () => 0.5), 86_400_000, 'capped at a day')
  t.equal(parseRetryAfter('120'), 120_000)
  const dated = parseRetryAfter(new Date(Date.now() + 60_000).toUTCString()) ?? 0
  t.ok(dated > 58_000 && dated <= 60_000, 'an HTTP-date')
  t.equal(parseRetryAfter('soon'), undefined)
})

t.test('addresses: only public unicast ones', async (t) => {
  for (const a of ['127.0.0.1', '10.0.0.1', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '2002:7f00:1::1']) {
    t.notOk(isPublicAddress(a), a)
  }
  for (const a of ['8.8.8.8', '2001:4860:4860::8888', '::ffff:8.8.8.8']) t.ok(isPublicAddress(a), a)
})

t.test('delivery refuses private targets unless allowed, also after DNS', async (t) => {
  const receiver = await startReceiver(t)
  const agent = createDeliveryAgent(false)
  t.teardown(() => agent.close())
  const literal = await deliver(agent, false, `https://127.0.0.1:${receiver.port}/hook`, {}, '{}')
  t.match(literal, { status: null, error: 'EADDRBLOCKED' }, 'an IP literal')
  const named = await deliver(agent, false, `https://localhost:${receiver.port}/hook`, {}, '{}')
  t.match(named, { status: null, error: 'EADDRBLOCKED' }, 'a name resolving to loopback: refused in the connection\'s lookup')
  t.match(await deliver(agent, false, `http://example.org/hook`, {}, '{}'), { error: 'EADDRBLOCKED' }, 'plain http')
  t.equal(receiver.received.length, 0, 'nothing reached the receiver')
  const open = createDeliveryAgent(true)
  t.teardown(() => open.close())
  t.match(await deliver(open, true, receiver.url, {}, '{}'), { status: 200 }, 'with WEBHOOK_ALLOW_PRIVATE')
})

/** What each answer does to a delivery and its endpoint. */
t.test('answers', async (t) => {
  const { app, db, adminKey } = await buildTestApp(t, { WEBHOOK_ALLOW_PRIVATE: 'true' })
  const admin = client(app, adminKey)
  const a = await tenant(app, db)
  const receiver = await startReceiver(t)
  const endpoint = async () => {
    const res = await a.integrator.post('/v1/webhook-endpoints', { body: { url: receiver.url, eventTypes: ['trainee.created', 'endpoint.disabled'] } })
    return res.json().id as string
  }
  const dueIn = async (deliveryId: string) => {
    const [row] = await rows<{ s: number }>(db, sql`select extract(epoch from next_attempt_at - now())::float8 as s from webhook_deliveries where id = ${deliveryId}`)
    return row!.s * 1000
  }
  const within = (t: Test, ms: number, base: number, what: string) =>
    t.ok(ms >= base * (1 - JITTER) - 2000 && ms <= base * (1 + JITTER) + 1000, `${what}: due in ${Math.round(ms)} ms (${base} ± 20 %)`)

  t.test('failures back off along the schedule, then a success ends it; one webhook-id throughout', async (t) => {
    const id = await endpoint()
    receiver.answer = () => ({ status: 500 })
    receiver.received.length = 0
    await emit(db, a.organizationId)
    await deliverNow(app)
    const [d] = await deliveriesOf(db, id)
    t.match(d, { state: 'pending', attempts: 1 })
    within(t, await dueIn(d!.id), 5000, 'after the first failure')
    await timePasses(db)
    await deliverNow(app)
    within(t, await dueIn(d!.id), 5 * 60_000, 'after the second')
    receiver.answer = () => ({ status: 204 })
    await timePasses(db)
    await deliverNow(app)
    t.match((await deliveriesOf(db, id))[0], { state: 'succeeded', attempts: 3 })
    t.equal(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size, 1, 'the same webhook-id on every attempt')
    const [attempts] = (await a.integrator.get(`/v1/webhook-endpoints/${id}/deliveries`)).json().items
    t.same(attempts.attempts.map((x: { status: number }) => x.status), [500, 500, 204])
    t.equal((await a.integrator.get(`/v1/webhook-endpoints/${id}`)).json().failingSince, null, 'a success clears failingSince')
    await a.integrator.post(`/v1/webhook-endpoints/${id}/deactivate`)
  })

  t.test('429 and 503 with Retry-After wait at least that long', async (t) => {
    const id = await endpoint()
    receiver.answer = () => ({ status: 429, headers: { 'retry-after': '120' } })
    await emit(db, a.organizationId)
    await deliverNow(app)
    const [d] = await deliveriesOf(db, id)
    const wait = await dueIn(d!.id)
    t.ok(wait > 118_000 && wait <= 120_000, `429: due in ${Math.round(wait)} ms`)
    receiver.answer = () => ({ status: 503, headers: { 'retry-after': new Date(Date.now() + 3600_000).toUTCString() } })
    await timePasses(db)
    await deliverNow(app)
    const later = await dueIn(d!.id)
    t.ok(later > 3500_000 && later <= 3600_000, `503 with an HTTP-date: due in ${Math.round(later)} ms`)
    await a.integrator.post(`/v1/webhook-endpoints/${id}/deactivate`)
  })

  t.test('a redirect is a failure, recorded with its location, and not followed', async (t) => {
    const id = await endpoint()
    receiver.received.length = 0
    receiver.answer = (r) => (r.headers['x-followed'] ? { status: 200 } : { status: 302, headers: { location: `${receiver.url}?moved=1` } })
    await emit(db, a.organizationId)
    await deliverNow(app)
    const [d] = (await a.integrator.get(`/v1/webhook-endpoints/${id}/deliveries`)).json().items
    t.match(d, { state: 'pending', lastStatus: 302 })
    t.match(d.attempts[0].responseExcerpt, /^location: http:\/\/127\.0\.0\.1:\d+\/hook\?moved=1/)
    t.equal(receiver.received.length, 1, 'the redirect was not followed')
    await a.integrator.post(`/v1/webhook-endpoints/${id}/deactivate`)
  })

  t.test('no answer at all is a failure with an error code', async (t) => {
    const gone = await startReceiver(t)
    await gone.down()
    const res = await a.integrator.post('/v1/webhook-endpoints', { body: { url: gone.url, eventTypes: ['trainee.created'] } })
    const id = res.json().id as string
    await emit(db, a.organizationId)
    await deliverNow(app)
    const [d] = (await a.integrator.get(`/v1/webhook-endpoints/${id}/deliveries`)).json().items
    t.match(d.attempts[0], { status: null, error: 'ECONNREFUSED' })
    t.ok((await a.integrator.get(`/v1/webhook-endpoints/${id}`)).json().failingSince, 'failingSince is set')
    await a.integrator.post(`/v1/webhook-endpoints/${id}/deactivate`)
  })

  t.test('a secret that cannot be unsealed (SECRETS_KEY changed) is a recorded failure, nothing is sent', async (t) => {
    const id = await endpoint()
    await db.execute(sql`update webhook_endpoints set secret_sealed = 'v1.not.a.secret' where id = ${id}`)
    receiver.received.length = 0
    await emit(db, a.organizationId)
    await deliverNow(app)
    const [d] = (await a.integrator.get(`/v1/webhook-endpoints/${id}/deliveries`)).json().items
    t.match(d, { state: 'pending', lastError: 'ESECRET' })
    t.equal(receiver.received.length, 0)
    await a.integrator.post(`/v1/webhook-endpoints/${id}/deactivate`)
  })

  t.test('the schedule exhausted: the delivery has failed', async (t) => {
    const id = await endpoint()
    receiver.answer = () => ({ status: 500 })
    await emit(db, a.organizationId)
    await deliverNow(app)
    await db.execute(sql`update webhook_deliveries set attempts = 9, next_attempt_at = now() where endpoint_id = ${id}`)
    await deliverNow(app)
    t.match((await deliveriesOf(db, id))[0], { state: 'failed', attempts: 10 })
    await a.integrator.post(`/v1/webhook-endpoints/${id}/deactivate`)
  })

  const disabledNotices = async (id: string) => ({
    events: await rows<{ type: string; data: { reason: string } }>(db, sql`select type, data from events where subject_id = ${id}`),
    mail: await rows<{ template: string; to_address: string }>(db, sql`select template, to_address from mail_messages where template = 'endpoint-disabled' and text_body like ${`%${receiver.url}%`}`),
    audit: await rows<{ action: string; actor_account_id: string | null }>(db, sql`select action, actor_account_id from audit_events where object_id = ${id} and action = 'webhook_endpoint.disable'`)
  })

  t.test('410 Gone deactivates the endpoint at once; the owner gets an event and a mail', async (t) => {
    await db.execute(sql`update accounts set email = 'hr-integration@example.org' where id = ${a.integratorAccountId}`)
    const id = await endpoint()
    receiver.answer = () => ({ status: 410 })
    await emit(db, a.organizationId)
    await deliverNow(app)
    t.match((await a.integrator.get(`/v1/webhook-endpoints/${id}`)).json(), { active: false, disabledReason: 'gone' })
    t.match((await deliveriesOf(db, id))[0], { state: 'failed', attempts: 1 })
    const notices = await disabledNotices(id)
    t.match(notices.events, [{ type: 'endpoint.disabled', data: { reason: 'gone' } }])
    t.match(notices.mail, [{ template: 'endpoint-disabled', to_address: 'hr-integration@example.org' }])
    t.match(notices.audit, [{ action: 'webhook_endpoint.disable', actor_account_id: null }])
    await emit(db, a.organizationId)
    t.equal(await deliverNow(app), 0, 'nothing more is sent to it')
    t.equal((await admin.post(`/v1/webhook-endpoints/${id}/reactivate`)).statusCode, 200, 'an admin may reactivate it')
    await admin.post(`/v1/webhook-endpoints/${id}/deactivate`)
  })

  t.test('failing for 5 days deactivates the endpoint', async (t) => {
    const id = await endpoint()
    receiver.answer = () => ({ status: 500 })
    await emit(db, a.organizationId)
    await deliverNow(app)
    t.equal((await a.integrator.get(`/v1/webhook-endpoints/${id}`)).json().active, true, 'one failure does not')
    await db.execute(sql`update webhook_endpoints set failing_since = now() - interval '5 days 1 minute' where id = ${id}`)
    await timePasses(db)
    await deliverNow(app)
    t.match((await a.integrator.get(`/v1/webhook-endpoints/${id}`)).json(), { active: false, disabledReason: 'failing' })
    t.match((await disabledNotices(id)).events, [{ type: 'endpoint.disabled', data: { reason: 'failing' } }])
  })
})
