import t from 'tap'
import { sql } from 'drizzle-orm'
import { Webhook } from 'standardwebhooks'
import { rows } from '../../src/db/rows.ts'
import { ADMIN_KEY, sleep } from '../helpers/faults.ts'
import { deliveryStates, emitMany, fastForward, faultSetting, registerEndpoint } from '../helpers/webhook-faults.ts'
import { startReceiver, waitFor, type Received } from '../helpers/webhooks.ts'

/** Webhook delivery under faults: the receiver gone, the service killed, a slow receiver, two instances. Needs DATABASE_URL. */
const idsOf = (received: Received[], ok: (r: Received) => boolean = () => true) => received.filter(ok).map((r) => String(r.headers['webhook-id']))
const verifies = (secret: string) => (r: Received) => {
  try {
    new Webhook(secret).verify(r.body, { 'webhook-id': String(r.headers['webhook-id']), 'webhook-timestamp': String(r.headers['webhook-timestamp']), 'webhook-signature': String(r.headers['webhook-signature']) })
    return true
  } catch { return false }
}

t.test('the receiver down for a while, then back: every event delivered, none lost', async (t) => {
  const { db, organizationId, start } = await faultSetting(t)
  const service = await start()
  const receiver = await startReceiver(t)
  const endpoint = await registerEndpoint(service, receiver.url)
  await receiver.down()
  const events = await emitMany(db, organizationId, 20)
  await waitFor(async () => (await rows<{ n: number }>(db, sql`select count(*)::int as n from webhook_attempts`))[0]!.n >= 20, 'failed attempts while it is down')
  t.equal((await deliveryStates(db)).succeeded ?? 0, 0, 'nothing succeeded while it was down')
  await receiver.up()
  await fastForward(db)
  await waitFor(async () => (await deliveryStates(db)).succeeded === 20, 'every delivery to succeed', 60_000)
  const got = new Set(idsOf(receiver.received, verifies(endpoint.secret)))
  t.same(events.filter((id) => !got.has(`msg_${id}`)), [], 'every event arrived, signed')
  t.ok(service.alive())
})

t.test('the service killed mid-delivery and started again: nothing lost, duplicates only with the same webhook-id', async (t) => {
  const { db, organizationId, start } = await faultSetting(t)
  const first = await start()
  const receiver = await startReceiver(t)
  const endpoint = await registerEndpoint(first, receiver.url)
  let held = true
  receiver.answer = () => (held ? { status: 200, delayMs: 60_000 } : { status: 200 })
  const events = await emitMany(db, organizationId, 10)
  await waitFor(() => receiver.received.length >= 2, 'sends in flight')
  first.child.kill('SIGKILL')
  await waitFor(() => !first.alive(), 'the process to die')
  const inFlight = new Set(idsOf(receiver.received))
  t.same((await deliveryStates(db)).succeeded ?? 0, 0, 'no answer was recorded')
  held = false
  const second = await start()
  // Their leases (60 s) run out: the new process takes them over.
  await fastForward(db)
  await waitFor(async () => (await deliveryStates(db)).succeeded === 10, 'every delivery to succeed', 60_000)
  const ids = idsOf(receiver.received)
  t.same(events.filter((id) => !ids.includes(`msg_${id}`)), [], 'every event arrived')
  const twice = [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))]
  t.ok(twice.every((id) => inFlight.has(id)), `only what was in flight at the kill came twice (${twice.length}), with its own webhook-id`)
  t.ok(receiver.received.every(verifies(endpoint.secret)))
  t.ok(second.alive())
})

t.test('a slow receiver does not hold up API requests', async (t) => {
  const { db, organizationId, start } = await faultSetting(t)
  const service = await start({ WEBHOOK_CONCURRENCY: '4' })
  const receiver = await startReceiver(t)
  receiver.answer = () => ({ status: 200, delayMs: 14_000 })
  await registerEndpoint(service, receiver.url)
  await registerEndpoint(service, receiver.url)
  await emitMany(db, organizationId, 12)
  await waitFor(() => receiver.received.length >= 4, 'every delivery slot busy with the slow receiver')
  const before = receiver.received.length
  const statuses: number[] = []
  for (let i = 0; i < 30; i++) {
    const res = await fetch(`${service.origin}/v1/webhook-endpoints`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })
    statuses.push(res.status)
  }
  const [answered] = await rows<{ n: number }>(db, sql`select count(*)::int as n from webhook_attempts`)
  t.equal(answered!.n, 0, 'while no slow send has finished...')
  t.ok(statuses.every((s) => s === 200), '...30 API requests were answered')
  t.equal(receiver.received.length, before, 'and the slots stayed taken: at most WEBHOOK_CONCURRENCY at a time')
  t.ok(before <= 4, `${before} sends in flight`)
})

t.test('two instances on one database share the work, never sending one attempt twice', async (t) => {
  const { db, organizationId, start } = await faultSetting(t)
  const one = await start({ WEBHOOK_CONCURRENCY: '2' })
  const two = await start({ WEBHOOK_CONCURRENCY: '2' })
  const receiver = await startReceiver(t)
  let open = 0
  let most = 0
  receiver.answer = () => {
    most = Math.max(most, ++open)
    setTimeout(() => { open-- }, 150).unref()
    return { status: 200, delayMs: 150 }
  }
  for (let i = 0; i < 4; i++) await registerEndpoint(i % 2 ? two : one, receiver.url)
  await emitMany(db, organizationId, 30)
  await waitFor(async () => (await deliveryStates(db)).succeeded === 120, 'every delivery to succeed', 90_000)
  const ids = receiver.received.map((r) => `${String(r.headers['webhook-id'])} ${String(r.headers['webhook-signature'])}`)
  t.equal(receiver.received.length, 120, 'each delivery sent exactly once')
  t.equal(new Set(ids).size, 120)
  const [attempts] = await rows<{ n: number; most: number }>(db, sql`select count(*)::int as n, max(attempt)::int as most from webhook_attempts`)
  t.same(attempts, { n: 120, most: 1 }, 'one attempt each')
  t.ok(most > 2, `up to ${most} sends at once: more than one instance (2 each) was sending`)
  t.ok(one.alive() && two.alive())
  await sleep(10)
})
