import http from 'node:http'
import t, { type Test } from 'tap'
import type { App } from '../src/app.ts'
import { STARTUP_GRACE_MS } from '../src/plugins/load-shedding.ts'
import { buildShedApp, listen, originOf, until } from './helpers/shedding.ts'

const shedCount = async (app: App, reason: string): Promise<number> =>
  (await app.metrics.shed.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0

/** A shed answer as a client sees it, whether the gate in front of Fastify or under-pressure inside it refused. */
async function assertOverloaded(t: Test, res: Response, what: string, instance?: string): Promise<void> {
  t.equal(res.status, 503, `${what}: 503`)
  t.match(res.headers.get('content-type'), /^application\/problem\+json/, `${what}: a problem document`)
  const body = await res.json() as { instance?: string }
  t.match(body, { code: 'overloaded', type: '/problems/unavailable', status: 503 }, `${what}: code overloaded`)
  if (instance) t.equal(body.instance, instance, `${what}: its instance is the request's URL`)
  t.equal(res.headers.get('retry-after'), '1', `${what}: Retry-After says when to try again`)
  t.equal(res.headers.get('x-content-type-options'), 'nosniff', `${what}: with the API's security headers`)
  t.ok(res.headers.get('x-request-id'), `${what}: and its request id`)
  t.not(res.headers.get('connection'), 'close', `${what}: the connection is kept open`)
}

// One app per set of bounds: a fresh database per app is slow on a busy machine.
t.test('with the bounds set (3 in flight, 5 pool waiters)', async (t) => {
  const { app, gate, finished, setPoolWaiting } = await buildShedApp(t, {
    MAX_IN_FLIGHT_REQUESTS: '3', SHED_POOL_WAITING_MAX: '5', METRICS_TOKEN: 'metrics-token-0123456789'
  })

  await t.test('beyond MAX_IN_FLIGHT_REQUESTS new requests get a fast 503 before Fastify; health and metrics never', async (t) => {
    const origin = await listen(app)
    gate.reset()
    const held = [1, 2, 3].map(() => fetch(`${origin}/test/slow`))
    await until(() => app.requestsInFlight() === 3)
    t.equal(app.requestsInFlight(), 3, 'three requests in flight')
    t.equal((await app.metrics.inFlight.get()).values[0]?.value, 3, 'the in-flight gauge says so')
    const answered = (await app.metrics.httpRequests.get()).values.reduce((n, v) => n + v.value, 0)

    await assertOverloaded(t, await fetch(`${origin}/test/slow?x=1`), 'a fourth request', '/test/slow?x=1')
    // Shed before authentication: a request with a wrong key is refused as overloaded, not 401.
    await assertOverloaded(t, await fetch(`${origin}/v1/organizations`, { headers: { authorization: 'Bearer nope' } }), 'an API request')
    await assertOverloaded(t, await fetch(`${origin}/v1/observations`, { method: 'POST', body: '{not json', headers: { 'content-type': 'application/json' } }),
      'a request whose body is never parsed')
    t.equal(await shedCount(app, 'in_flight'), 3, 'each shed request is counted by its reason')
    t.equal((await app.metrics.httpRequests.get()).values.reduce((n, v) => n + v.value, 0), answered, 'and never reached a route (not counted as answered)')

    t.equal((await fetch(`${origin}/health/live`)).status, 200, '/health/live is never shed')
    t.equal((await fetch(`${origin}/health/ready?verbose`)).status, 200, '/health/ready is never shed, whatever its query')
    t.equal((await fetch(`${origin}/metrics`, { headers: { authorization: 'Bearer metrics-token-0123456789' } })).status, 200, '/metrics is never shed')
    t.equal((await app.inject('/test/fail')).statusCode, 500, 'app.inject() does not pass through the server, so it is never shed')

    gate.open()
    for (const res of await Promise.all(held)) t.equal(res.status, 200, 'the admitted requests complete')
    await until(() => app.requestsInFlight() === 0)
    t.equal(app.requestsInFlight(), 0, 'and leave nothing counted')
    t.equal((await fetch(`${origin}/test/slow`)).status, 200, 'a new request is admitted again')
  })

  await t.test('the count returns to 0 after aborted and failed requests', async (t) => {
    const origin = originOf(app)
    gate.reset()
    const before = finished()
    // Three clients hang up while their requests are held: their slots are freed at once.
    const early: string[] = []
    const aborted = [1, 2, 3].map(() => http.get(`${origin}/test/slow`, { agent: false })
      .on('response', (res) => early.push(String(res.statusCode))).on('error', (err) => early.push(err.message)))
    await until(() => app.requestsInFlight() === 3)
    t.equal(app.requestsInFlight(), 3, `three requests in flight (answered early: ${early.join(', ') || 'none'})`)
    for (const req of aborted) req.destroy()
    await until(() => app.requestsInFlight() === 0)
    t.equal(app.requestsInFlight(), 0, 'a client that hangs up frees its slot')
    gate.open()
    await until(() => finished() === before + 3)
    t.equal(finished(), before + 3, 'the abandoned handlers finish')
    t.equal(app.requestsInFlight(), 0, 'and are not released a second time')

    const failures = await Promise.all([
      fetch(`${origin}/test/fail`),
      fetch(`${origin}/v1/organizations`, { headers: { authorization: 'Bearer rk_wrong' } }),
      fetch(`${origin}/no/such/route`),
      fetch(`${origin}/v1/observations`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer rk_wrong' }, body: '{' })
    ])
    t.same(failures.map((r) => r.status), [500, 401, 404, 401], 'a bug, a wrong key, no route, a wrong key with a broken body')
    await Promise.all(failures.map((r) => r.arrayBuffer()))
    await until(() => app.requestsInFlight() === 0)
    t.equal(app.requestsInFlight(), 0, 'failed requests leave nothing counted')

    gate.reset()
    const held = [1, 2, 3].map(() => fetch(`${origin}/test/slow`))
    await until(() => app.requestsInFlight() === 3)
    const refused = await fetch(`${origin}/test/slow`)
    t.equal(refused.status, 503, 'the bound is still 3: no slot leaked, none lost')
    t.match(await refused.json(), { code: 'overloaded' })
    t.equal(refused.headers.get('retry-after'), '1')
    gate.open()
    t.same((await Promise.all(held)).map((r) => r.status), [200, 200, 200])
  })

  await t.test('past SHED_POOL_WAITING_MAX waiters for a connection, new requests are shed', async (t) => {
    const origin = originOf(app)
    setPoolWaiting(5)
    t.equal((await fetch(`${origin}/health/live`)).status, 200, 'at the bound: admitted')
    t.equal((await fetch(`${origin}/v1/organizations`)).status, 401, 'at the bound an API request is admitted (401 without a key)')
    setPoolWaiting(6)
    await assertOverloaded(t, await fetch(`${origin}/v1/organizations`), 'past the bound')
    t.equal((await fetch(`${origin}/health/ready`)).status, 200, 'the readiness probe is not shed')
    t.equal(await shedCount(app, 'pool_waiting'), 1)
    setPoolWaiting(undefined)
    t.equal((await fetch(`${origin}/v1/organizations`)).status, 401, 'once the waiters are served, admitted again')
  })
})

t.test('every bound at 0 sheds nothing, and the gauge still counts', async (t) => {
  const { app, gate, setPoolWaiting } = await buildShedApp(t, { MAX_IN_FLIGHT_REQUESTS: '0', SHED_POOL_WAITING_MAX: '0', SHED_EVENT_LOOP_DELAY_MS: '0' })
  const origin = await listen(app)
  const held = Array.from({ length: 120 }, () => fetch(`${origin}/test/slow`))
  await until(() => app.requestsInFlight() === 120)
  t.equal(app.requestsInFlight(), 120, 'beyond the default bound (5 per pooled connection)')
  gate.open()
  t.ok((await Promise.all(held)).every((res) => res.status === 200), 'every request answered 200')
  await until(() => app.requestsInFlight() === 0)
  t.equal(await shedCount(app, 'in_flight'), 0, 'none shed')
  t.equal((await app.metrics.inFlight.get()).values[0]?.value, 0)

  setPoolWaiting(10_000)
  t.equal((await fetch(`${origin}/v1/organizations`)).status, 401, 'SHED_POOL_WAITING_MAX=0 ignores the pool')
  setPoolWaiting(undefined)

  t.notOk(app.hasDecorator('isUnderPressure'), 'SHED_EVENT_LOOP_DELAY_MS=0: under-pressure is not registered')
  const blockedUntil = Date.now() + 1300
  while (Date.now() < blockedUntil) { /* blocking the event loop on purpose */ }
  await new Promise((resolve) => setTimeout(resolve, 5))
  t.equal((await app.inject('/v1/organizations')).statusCode, 401, 'and a delayed event loop sheds nothing')
})

t.test('an event loop delayed past SHED_EVENT_LOOP_DELAY_MS sheds new requests (@fastify/under-pressure)', async (t) => {
  const { app } = await buildShedApp(t, { SHED_EVENT_LOOP_DELAY_MS: '1', MAX_IN_FLIGHT_REQUESTS: '0' })
  const origin = await listen(app)
  if (app.database.kind === 'pglite') {
    // Its queries run on the event loop's thread: their own delay must not shed the requests that caused it.
    t.notOk(app.hasDecorator('isUnderPressure'), 'on the embedded database the event-loop bound is not used')
    const blockedUntil = Date.now() + 1300
    while (Date.now() < blockedUntil) { /* blocking the event loop on purpose */ }
    await new Promise((resolve) => setTimeout(resolve, 5))
    t.equal((await app.inject('/v1/organizations')).statusCode, 401, 'and a delayed event loop sheds nothing')
    return
  }
  await new Promise((resolve) => setTimeout(resolve, STARTUP_GRACE_MS))
  // Blocked for longer than under-pressure's sampling interval (1 s): the next sample sees the delay.
  // On a starved machine a sample can fall badly, so up to three blocks are tried.
  let res = await fetch(`${origin}/v1/organizations`)
  for (let tries = 0; tries < 3 && res.status !== 503; tries++) {
    await res.arrayBuffer()
    const blockedUntil = Date.now() + 1300
    while (Date.now() < blockedUntil) { /* blocking the event loop on purpose */ }
    await new Promise((resolve) => setTimeout(resolve, 5))
    res = await fetch(`${origin}/v1/organizations`)
  }
  await assertOverloaded(t, res, 'a request after the delay')
  t.equal((await fetch(`${origin}/health/live`)).status, 200, 'health is never shed')
  t.ok(await shedCount(app, 'event_loop') >= 1, 'counted as event_loop')
})
