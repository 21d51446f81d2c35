import t from 'tap'
import { randomUUID } from 'node:crypto'
import { buildTestApp } from './helpers/app.ts'
import { buildShedApp, listen } from './helpers/shedding.ts'
import { renderOpenApi } from '../src/openapi.ts'

const TOKEN = 'metrics-token-for-tests-0123456789'
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

/** The value of one series in a Prometheus text exposition (undefined when absent). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

t.test('without METRICS_TOKEN there is no /metrics', async (t) => {
  const { app } = await buildTestApp(t)
  const res = await app.inject({ url: '/metrics', headers: bearer(TOKEN) })
  t.equal(res.statusCode, 404)
  t.match(res.json(), { code: 'route-not-found' })
})

t.test('with METRICS_TOKEN, /metrics serves Prometheus text to holders of the token', async (t) => {
  const { app, adminKey, setPoolWaiting } = await buildShedApp(t, { METRICS_TOKEN: TOKEN, SHED_POOL_WAITING_MAX: '3' })
  const scrape = async () => {
    const res = await app.inject({ url: '/metrics', headers: bearer(TOKEN) })
    t.equal(res.statusCode, 200)
    return res.body
  }

  await t.test('a missing or wrong token gets a 401 problem', async (t) => {
    for (const headers of [{}, bearer('metrics-token-for-tests-0123456780'), bearer(`${TOKEN}x`), { authorization: TOKEN }]) {
      const res = await app.inject({ url: '/metrics', headers })
      t.equal(res.statusCode, 401)
      t.match(res.headers['content-type'], /^application\/problem\+json/)
      t.match(res.json(), { code: 'unauthorized' })
      t.notMatch(res.body, /rapport_/, 'no figure leaks')
    }
  })

  await t.test('the exposition: text/plain, app series and the process\'s own', async (t) => {
    const res = await app.inject({ url: '/metrics', headers: bearer(TOKEN) })
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/)
    for (const name of [
      'rapport_http_requests_total', 'rapport_http_request_duration_seconds', 'rapport_http_requests_in_flight',
      'rapport_http_requests_shed_total', 'rapport_database_errors_total', 'rapport_database_pool_connections',
      'rapport_database_pool_idle_connections', 'rapport_database_pool_waiting_requests',
      'rapport_process_cpu_user_seconds_total', 'rapport_process_resident_memory_bytes', 'rapport_nodejs_eventloop_lag_seconds'
    ]) t.match(res.body, new RegExp(`^# TYPE ${name} `, 'm'), name)
  })

  await t.test('requests are counted by route pattern and status, never by raw URL', async (t) => {
    const id = randomUUID()
    const before = await scrape()
    await app.inject('/health/live')
    await app.inject('/no/such/page?token=secret-in-query')
    const notFound = await app.inject({ url: `/v1/organizations/${id}`, headers: bearer(adminKey) })
    t.equal(notFound.statusCode, 404)
    const after = await scrape()
    const delta = (series: string) => (sample(after, series) ?? 0) - (sample(before, series) ?? 0)
    t.equal(delta('rapport_http_requests_total{method="GET",route="/health/live",status="200"}'), 1, 'a 2xx')
    t.equal(delta('rapport_http_requests_total{method="GET",route="(unmatched)",status="404"}'), 1, 'an unmatched route, as one label')
    t.equal(delta('rapport_http_requests_total{method="GET",route="/v1/organizations/:id",status="404"}'), 1, 'a route with an id, by its pattern')
    t.equal(delta('rapport_http_request_duration_seconds_count{method="GET",route="/health/live"}'), 1, 'its duration observed')
    t.notMatch(after, id, 'no id in any label')
    t.notMatch(after, /secret-in-query|no\/such\/page/, 'no raw path or query in any label')
    t.equal(delta('rapport_http_requests_total{method="GET",route="/metrics",status="200"}'), 1, 'the scrape before counts itself')
  })

  await t.test('a shed request moves the shed counter; the pool gauges read the pool', async (t) => {
    // Shedding happens at the HTTP server, which app.inject() bypasses.
    const origin = await listen(app)
    const scrapeHttp = async () => (await fetch(`${origin}/metrics`, { headers: bearer(TOKEN) })).text()
    const before = await scrapeHttp()
    setPoolWaiting(4)
    const shed = await fetch(`${origin}/v1/organizations`)
    t.equal(shed.status, 503)
    await shed.arrayBuffer()
    const after = await scrapeHttp()
    setPoolWaiting(undefined)
    const delta = (series: string) => (sample(after, series) ?? 0) - (sample(before, series) ?? 0)
    t.equal(delta('rapport_http_requests_shed_total{reason="pool_waiting"}'), 1)
    t.equal(delta('rapport_http_requests_total{method="GET",route="/v1/organizations",status="503"}'), 0,
      'a shed request never reached a route: it is counted as shed only')
    t.equal(sample(after, 'rapport_database_pool_waiting_requests'), 4, 'the waiters, read at scrape time')
    t.ok((sample(after, 'rapport_database_pool_connections') ?? 0) >= 1, 'the pool\'s connections')
    t.equal(sample(after, 'rapport_http_requests_in_flight'), 1, 'in flight: the scrape itself')
  })

  await t.test('/metrics is not rate limited and not in the OpenAPI document', async (t) => {
    const res = await app.inject({ url: '/metrics', headers: bearer(TOKEN) })
    t.equal(res.headers.ratelimit, undefined, 'no RateLimit header: not counted')
    const doc = JSON.parse(await renderOpenApi(app)) as { paths: Record<string, unknown> }
    t.notOk('/metrics' in doc.paths)
  })
})
