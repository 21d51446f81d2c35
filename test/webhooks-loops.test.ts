import { sql } from 'drizzle-orm'
import t from 'tap'
import { rows } from '../src/db/rows.ts'
import { buildTestApp } from './helpers/app.ts'
import { emit, startReceiver, tenant, waitFor } from './helpers/webhooks.ts'

/** The background loops on (DISPATCHER_ENABLED): the fan-out and the workers deliver on their own, and stop cleanly. */
t.test('with the loops running', async (t) => {
  const { app, db } = await buildTestApp(t, { DISPATCHER_ENABLED: 'true', WEBHOOK_ALLOW_PRIVATE: 'true' })
  const a = await tenant(app, db)
  const receiver = await startReceiver(t)
  const endpoint = (await a.integrator.post('/v1/webhook-endpoints', { body: { url: receiver.url, eventTypes: ['trainee.created'] } })).json() as { id: string }

  t.test('an event reaches the receiver without anything driving it', async (t) => {
    const eventId = await emit(db, a.organizationId)
    await waitFor(() => receiver.received.some((r) => r.headers['webhook-id'] === `msg_${eventId}`), 'the delivery')
    await waitFor(async () => (await rows<{ state: string }>(db, sql`select state from webhook_deliveries where event_id = ${eventId}`))[0]?.state === 'succeeded', 'its record')
    t.pass('delivered and recorded')
  })

  t.test('shutting down mid-send records nothing: the lease runs out and the delivery is sent again', async (t) => {
    receiver.answer = () => ({ status: 200, delayMs: 30_000 })
    const eventId = await emit(db, a.organizationId)
    await waitFor(() => receiver.received.some((r) => r.headers['webhook-id'] === `msg_${eventId}`), 'the send to start')
    await app.close()
    const [d] = await rows<{ id: string; state: string; attempts: number; leased: boolean }>(db,
      sql`select id, state, attempts, lease_until > now() as leased from webhook_deliveries where event_id = ${eventId} and endpoint_id = ${endpoint.id}`)
    t.match(d, { state: 'sending', attempts: 1, leased: true }, 'still claimed, under its lease')
    const [n] = await rows<{ n: number }>(db, sql`select count(*)::int as n from webhook_attempts where delivery_id = ${d!.id}`)
    t.equal(n!.n, 0, 'no attempt recorded for the abandoned send')
  })
})
