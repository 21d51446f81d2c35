import { sql } from 'drizzle-orm'
import t from 'tap'
import { Webhook } from 'standardwebhooks'
import { rows } from '../src/db/rows.ts'
import { recordSuccesses } from '../src/modules/webhooks/delivery-results.ts'
import { sign } from '../src/modules/webhooks/signing.ts'
import { buildTestApp, client } from './helpers/app.ts'
import { deliverNow, deliveriesOf, emit, startReceiver, tenant } from './helpers/webhooks.ts'

t.test('signing matches the Standard Webhooks test vector', async (t) => {
  t.equal(sign('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}'),
    'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=')
})

/** Deliveries as a receiver sees them: fanned out by scope and type, signed, verified by the standardwebhooks package itself. */
t.test('deliveries', async (t) => {
  const { app, db, adminKey } = await buildTestApp(t, { WEBHOOK_ALLOW_PRIVATE: 'true' })
  const admin = client(app, adminKey)
  const a = await tenant(app, db)
  const b = await tenant(app, db)
  const receiver = await startReceiver(t)
  const register = async (who: typeof admin, eventTypes = ['trainee.created']) => {
    const res = await who.post('/v1/webhook-endpoints', { body: { url: receiver.url, eventTypes } })
    t.equal(res.statusCode, 201, res.body)
    return res.json() as { id: string; secret: string }
  }

  t.test('each endpoint gets the events of its scope and types, signed and verifiable', async (t) => {
    const ofA = await register(a.integrator)
    const everyone = await register(admin)
    const updatesOfA = await register(a.integrator, ['trainee.updated'])
    const inA = await emit(db, a.organizationId)
    const inB = await emit(db, b.organizationId)
    await emit(db, a.organizationId, 'trainee.updated')
    receiver.received.length = 0
    t.equal(await deliverNow(app), 4, 'A\'s endpoint 1, the admin\'s 2, the updates endpoint 1')
    t.same((await deliveriesOf(db, ofA.id)).map((d) => [d.event_id, d.state]), [[inA, 'succeeded']], 'A\'s endpoint: A\'s event only')
    t.same((await deliveriesOf(db, everyone.id)).map((d) => d.event_id).sort(), [inA, inB].sort(), 'the admin\'s: every organization\'s')
    t.equal((await deliveriesOf(db, updatesOfA.id)).length, 1, 'only the types it asked for')
    const secrets = new Map([[ofA.id, ofA.secret], [everyone.id, everyone.secret], [updatesOfA.id, updatesOfA.secret]])
    const verified: string[] = []
    for (const r of receiver.received) {
      const headers = { 'webhook-id': String(r.headers['webhook-id']), 'webhook-timestamp': String(r.headers['webhook-timestamp']), 'webhook-signature': String(r.headers['webhook-signature']) }
      const ok = [...secrets.values()].find((s) => { try { new Webhook(s).verify(r.body, headers); return true } catch { return false } })
      if (ok) verified.push(headers['webhook-id'])
      t.match(JSON.parse(r.body), { type: /^trainee\./, timestamp: /^\d{4}-\d\d-\d\dT/, data: { organizationId: /./ } })
      t.equal(r.headers['content-type'], 'application/json')
      t.ok(Math.abs(Number(r.headers['webhook-timestamp']) - Date.now() / 1000) < 60, 'the attempt\'s time')
    }
    t.equal(verified.length, 4, 'standardwebhooks verifies every delivery')
    t.ok(verified.includes(`msg_${inA}`) && verified.includes(`msg_${inB}`), 'webhook-id is msg_ + the event id')
    const wrong = receiver.received[0]!
    t.throws(() => new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(wrong.body, {
      'webhook-id': String(wrong.headers['webhook-id']), 'webhook-timestamp': String(wrong.headers['webhook-timestamp']), 'webhook-signature': String(wrong.headers['webhook-signature'])
    }), 'another secret does not verify')
    t.equal(await deliverNow(app), 0, 'nothing is sent twice')
    for (const id of [ofA.id, everyone.id, updatesOfA.id]) await admin.post(`/v1/webhook-endpoints/${id}/deactivate`)
  })

  t.test('after a rotation both the old and the new secret verify', async (t) => {
    const endpoint = await register(a.integrator)
    const rotated = (await a.integrator.post(`/v1/webhook-endpoints/${endpoint.id}/rotate-secret`)).json() as { secret: string }
    receiver.received.length = 0
    await emit(db, a.organizationId)
    t.equal(await deliverNow(app), 1)
    const r = receiver.received[0]!
    const headers = { 'webhook-id': String(r.headers['webhook-id']), 'webhook-timestamp': String(r.headers['webhook-timestamp']), 'webhook-signature': String(r.headers['webhook-signature']) }
    t.equal(headers['webhook-signature'].split(' ').length, 2, 'two signatures, space-separated')
    t.ok(new Webhook(rotated.secret).verify(r.body, headers), 'the new secret verifies')
    t.ok(new Webhook(endpoint.secret).verify(r.body, headers), 'the old one too, for 24 hours')
    await db.execute(sql`update webhook_endpoints set previous_expires_at = now() - interval '1 second' where id = ${endpoint.id}`)
    receiver.received.length = 0
    await emit(db, a.organizationId)
    await deliverNow(app)
    const later = receiver.received[0]!
    const laterHeaders = { 'webhook-id': String(later.headers['webhook-id']), 'webhook-timestamp': String(later.headers['webhook-timestamp']), 'webhook-signature': String(later.headers['webhook-signature']) }
    t.equal(laterHeaders['webhook-signature'].split(' ').length, 1, 'after 24 hours only the new one signs')
    t.throws(() => new Webhook(endpoint.secret).verify(later.body, laterHeaders))
    await a.integrator.post(`/v1/webhook-endpoints/${endpoint.id}/deactivate`)
  })

  t.test('the attempts record, a retry by hand and a replay keep the webhook-id', async (t) => {
    const endpoint = await register(a.integrator)
    receiver.answer = () => ({ status: 500, body: 'database\u0000 down' })
    const eventId = await emit(db, a.organizationId)
    await deliverNow(app)
    const listed = await a.integrator.get(`/v1/webhook-endpoints/${endpoint.id}/deliveries`)
    t.equal(listed.statusCode, 200)
    const [delivery] = listed.json().items
    t.match(delivery, { eventId, eventType: 'trainee.created', webhookId: `msg_${eventId}`, state: 'pending', attemptsMade: 1, lastStatus: 500 })
    t.match(delivery.attempts, [{ attempt: 1, status: 500, responseExcerpt: 'database down', error: null, manual: false }])
    t.type(delivery.attempts[0].latencyMs, 'number')
    receiver.answer = () => ({ status: 200 })

    await db.execute(sql`update webhook_deliveries set state = 'sending', lease_until = now() + interval '60 seconds' where id = ${delivery.id}`)
    const busy = await a.integrator.post(`/v1/webhook-deliveries/${delivery.id}/retry`)
    t.equal(busy.statusCode, 409)
    t.equal(busy.json().code, 'webhook-delivery-in-flight')
    await db.execute(sql`update webhook_deliveries set state = 'failed', lease_until = null where id = ${delivery.id}`)
    const retried = await a.integrator.post(`/v1/webhook-deliveries/${delivery.id}/retry`)
    t.equal(retried.statusCode, 202, retried.body)
    t.equal(retried.json().state, 'pending')
    receiver.received.length = 0
    t.equal(await deliverNow(app), 1)
    t.equal(receiver.received[0]?.headers['webhook-id'], `msg_${eventId}`, 'the same webhook-id')
    const after = (await a.integrator.get(`/v1/webhook-endpoints/${endpoint.id}/deliveries`)).json().items[0]
    t.match(after, { state: 'succeeded', attemptsMade: 2 })
    t.match(after.attempts.map((x: { manual: boolean; status: number }) => [x.status, x.manual]), [[500, false], [200, true]], 'the retry is recorded as manual')
    t.equal((await b.integrator.post(`/v1/webhook-deliveries/${delivery.id}/retry`)).statusCode, 404, 'another organization\'s delivery is not found')

    const from = new Date(Date.now() - 3600_000).toISOString()
    const to = new Date(Date.now() + 1000).toISOString()
    const replayed = await a.integrator.post(`/v1/webhook-endpoints/${endpoint.id}/replay`, { body: { from, to } })
    t.equal(replayed.statusCode, 202, replayed.body)
    const [count] = await rows<{ n: number }>(db, sql`select count(*)::int as n from events where type = 'trainee.created' and ${a.organizationId}::uuid = any(organization_ids)`)
    t.equal(replayed.json().queued, count!.n, 'every matching event of the range, also from before the endpoint existed')
    receiver.received.length = 0
    await deliverNow(app)
    t.ok(receiver.received.some((r) => r.headers['webhook-id'] === `msg_${eventId}`), 'a replay sends the event\'s own webhook-id')
    t.ok((await deliveriesOf(db, endpoint.id)).filter((d) => d.manual).every((d) => d.state === 'succeeded'))
    const reversed = await a.integrator.post(`/v1/webhook-endpoints/${endpoint.id}/replay`, { body: { from: to, to: from } })
    t.equal(reversed.json().code, 'replay-range-invalid')
    const tooOld = await a.integrator.post(`/v1/webhook-endpoints/${endpoint.id}/replay`, { body: { from: new Date(Date.now() - 40 * 86_400_000).toISOString(), to } })
    t.equal(tooOld.json().code, 'replay-range-invalid', 'not before what the feed keeps')
    await a.integrator.post(`/v1/webhook-endpoints/${endpoint.id}/deactivate`)
    t.equal((await a.integrator.post(`/v1/webhook-endpoints/${endpoint.id}/replay`, { body: { from, to } })).json().code, 'webhook-endpoint-inactive')
    t.equal((await a.integrator.post(`/v1/webhook-deliveries/${delivery.id}/retry`)).json().code, 'webhook-endpoint-inactive')
  })

  t.test('answers arriving together are written together, each with its own record; a stale claim writes nothing', async (t) => {
    const endpoint = await register(a.integrator)
    // Bodies that an array literal or a text encoding would mangle if the batch were built carelessly.
    const bodies = ['', 'ok', '{"a": [1, 2]}', 'quote " and \\ backslash', 'comma, {brace}', 'NULL', 'caf\u00e9 \u{1F600}', ' spaces ']
    let n = 0
    receiver.answer = () => ({ status: 200, body: bodies[n++ % bodies.length] })
    for (let i = 0; i < bodies.length; i++) await emit(db, a.organizationId)
    while (await app.webhooks.fanOutOnce()) { /* all of them */ }
    const deliveries = await deliveriesOf(db, endpoint.id)
    t.equal(deliveries.length, bodies.length)
    t.equal(await app.webhooks.worker.deliverDue(), bodies.length, 'all in one claim (up to 8 at a time to one endpoint)')
    const attempts = await rows<{ response_excerpt: string | null; status: number; latency_ms: number; state: string }>(db, sql`
      select a.response_excerpt, a.status, a.latency_ms, d.state from webhook_attempts a join webhook_deliveries d on d.id = a.delivery_id
      where d.endpoint_id = ${endpoint.id}`)
    t.equal(attempts.length, bodies.length, 'one attempt row each')
    t.same(attempts.map((x) => x.response_excerpt ?? '').sort(), [...bodies].sort(), 'each answer\'s own excerpt, byte for byte')
    t.ok(attempts.every((x) => x.status === 200 && x.state === 'succeeded' && typeof x.latency_ms === 'number'))

    // Two claims written in one batch, one of them taken over meanwhile (its lease ran out, another attempt began).
    await emit(db, a.organizationId)
    await emit(db, a.organizationId)
    while (await app.webhooks.fanOutOnce()) { /* both */ }
    const fresh = (await deliveriesOf(db, endpoint.id)).filter((d) => d.state === 'pending')
    t.equal(fresh.length, 2)
    await db.execute(sql`update webhook_deliveries set state = 'sending', attempts = 1, lease_until = now() + interval '60 seconds' where id = any(${sql.param(fresh.map((d) => d.id))}::uuid[])`)
    await db.execute(sql`update webhook_deliveries set attempts = 2 where id = ${fresh[1]!.id}`)
    const answer = { status: 204, latencyMs: 3, excerpt: '', error: null, retryAfter: null }
    const written = await recordSuccesses(db, fresh.map((d) => ({
      c: { deliveryId: d.id, endpointId: endpoint.id, attempt: 1, manual: false, startedAt: new Date() }, answer
    })))
    t.same([...written], [fresh[0]!.id], 'only the claim that still holds is written')
    const after = await deliveriesOf(db, endpoint.id)
    t.same(after.filter((d) => fresh.some((f) => f.id === d.id)).map((d) => [d.id, d.state, d.attempts]).sort(),
      [[fresh[0]!.id, 'succeeded', 1], [fresh[1]!.id, 'sending', 2]].sort(), 'the taken-over delivery is left to its new attempt')
    const [stale] = await rows<{ n: number }>(db, sql`select count(*)::int as n from webhook_attempts where delivery_id = ${fresh[1]!.id}`)
    t.equal(stale!.n, 0, 'and gets no attempt row from the stale answer')
    await db.execute(sql`update webhook_deliveries set state = 'succeeded', lease_until = null where id = ${fresh[1]!.id}`)
    receiver.answer = () => ({ status: 200, body: 'ok' })
    await a.integrator.post(`/v1/webhook-endpoints/${endpoint.id}/deactivate`)
  })

  t.test('the fan-out hands what the local worker has room for straight to it; the rest wait for a claim', async (t) => {
    const endpoint = await register(a.integrator)
    receiver.received.length = 0
    const events: string[] = []
    for (let i = 0; i < 20; i++) events.push(await emit(db, a.organizationId))
    const run = new AbortController()
    t.equal(await app.webhooks.fanOutOnce(run.signal), false)
    const handed = await deliveriesOf(db, endpoint.id)
    t.equal(handed.length, 20)
    t.equal(handed.filter((d) => d.state !== 'pending').length, 16, 'claimed in the fan-out: as many as one endpoint may hold (8 in flight, as many waiting)')
    t.ok(handed.filter((d) => d.state !== 'pending').every((d) => d.attempts === 1), 'as attempt 1')
    await app.webhooks.worker.drain()
    const sent = await deliveriesOf(db, endpoint.id)
    t.equal(sent.filter((d) => d.state === 'succeeded').length, 16, 'sent and recorded without a claim')
    t.equal(await app.webhooks.worker.deliverDue(), 4, 'the claim takes the other four')
    const [attempts] = await rows<{ n: number; first: number }>(db, sql`
      select count(*)::int as n, count(*) filter (where a.attempt = 1)::int as first from webhook_attempts a
      join webhook_deliveries d on d.id = a.delivery_id where d.endpoint_id = ${endpoint.id}`)
    t.same(attempts, { n: 20, first: 20 }, 'one attempt each, numbered 1')
    const ids = receiver.received.map((r) => String(r.headers['webhook-id']))
    t.same([...ids].sort(), events.map((e) => `msg_${e}`).sort(), 'every event received once')
    run.abort()
    await emit(db, a.organizationId)
    await app.webhooks.fanOutOnce(run.signal)
    t.same((await deliveriesOf(db, endpoint.id)).filter((d) => d.state === 'pending').length, 1, 'shutting down: nothing handed over')
    await app.webhooks.worker.deliverDue()
    await a.integrator.post(`/v1/webhook-endpoints/${endpoint.id}/deactivate`)
  })

  t.test('a replay of more than 10,000 events is refused', async (t) => {
    const c = await tenant(app, db)
    const endpoint = await register(c.integrator, ['trainee.updated'])
    await db.execute(sql`insert into events (type, subject_type, subject_id, organization_ids, data, feed_seq)
      select 'trainee.updated', 'trainee', gen_random_uuid(), array[${c.organizationId}::uuid], '{}'::jsonb, nextval('events_feed_seq') from generate_series(1, 10001)`)
    const res = await c.integrator.post(`/v1/webhook-endpoints/${endpoint.id}/replay`, {
      body: { from: new Date(Date.now() - 3600_000).toISOString(), to: new Date(Date.now() + 1000).toISOString() }
    })
    t.equal(res.statusCode, 422)
    t.equal(res.json().code, 'replay-too-large')
  })
})
