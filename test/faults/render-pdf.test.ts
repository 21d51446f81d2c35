import t from 'tap'
import { get, type ClientRequest } from 'node:http'
import type { App } from '../../src/app.ts'
import { buildTestApp } from '../helpers/app.ts'
import { seedLargeCohort, until } from '../helpers/render-faults.ts'

// Faults of the PDF render pool through a real HTTP client: a client that hangs up, a full queue.
t.setTimeout(600_000)

/**
 * The other bounds out of the way: reading 3,000 trainees on the embedded database, on a busy
 * machine, can pass the event-loop or pool-wait bound, and this file is about the render pool's.
 */
const BOUNDS = { SHED_EVENT_LOOP_DELAY_MS: '0', DB_ACQUIRE_TIMEOUT_MS: '600000', DB_STATEMENT_TIMEOUT_MS: '0' }

async function renders(app: App, lane: string, outcome: string): Promise<number> {
  const metric = await app.metrics.registry.getSingleMetric('rapport_pdf_renders_total')?.get()
  return metric?.values.find((v) => v.labels.lane === lane && v.labels.outcome === outcome)?.value ?? 0
}

/** Starts a download and keeps the request to hang up on; its socket errors are expected. */
function download(url: string, key: string): ClientRequest & { status?: number } {
  const req: ClientRequest & { status?: number } = get(url, { headers: { authorization: `Bearer ${key}` } })
  req.on('error', () => {})
  req.on('response', (res) => {
    req.status = res.statusCode
    res.resume()
  })
  return req
}

t.test('a client that hangs up on a large cohort PDF stops its render', async (t) => {
  const { app, db } = await buildTestApp(t, { ...BOUNDS, RENDER_WORKERS: '2' })
  const { cohortId, adminKey } = await seedLargeCohort(db, 3000)
  const origin = await app.listen({ port: 0, host: '127.0.0.1' })
  const req = download(`${origin}/v1/cohorts/${cohortId}/report.pdf`, adminKey)
  // An early answer (an error) ends the wait too, and fails below.
  await until(() => app.renderPool.rendering === 1 || req.status !== undefined)
  t.equal(req.status, undefined, 'no answer before the PDF is rendered')
  req.destroy()
  await until(() => app.renderPool.busy === 0)
  t.equal(await renders(app, 'large', 'cancelled'), 1, 'counted as cancelled in rapport_pdf_renders_total')
  t.equal(await renders(app, 'large', 'completed'), 0, 'never completed')
  t.equal(app.renderPool.rendering, 0, 'no worker renders for it any more')
  const metrics = await app.metrics.registry.metrics()
  t.match(metrics, /rapport_pdf_render_worker_seconds_total\{lane="large",outcome="cancelled"\} \d/, 'the worker time spent on it is reported')
})

t.test('a full render queue answers 503 render-queue-full with Retry-After, before reading anything', async (t) => {
  const { app, db } = await buildTestApp(t, { ...BOUNDS, RENDER_WORKERS: '1', RENDER_QUEUE_MAX: '1' })
  const { cohortId, adminKey } = await seedLargeCohort(db, 3000)
  const origin = await app.listen({ port: 0, host: '127.0.0.1' })
  const url = `${origin}/v1/cohorts/${cohortId}/report.pdf`
  const holders = [download(url, adminKey)]
  await until(() => app.renderPool.busy === 1 || holders[0]!.status !== undefined)
  holders.push(download(url, adminKey))
  await until(() => app.renderPool.depth('large') === 1)
  const res = await fetch(url, { headers: { authorization: `Bearer ${adminKey}` } })
  t.equal(res.status, 503)
  t.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8')
  t.equal(res.headers.get('retry-after'), '5', 'Retry-After from the cause')
  t.match(await res.json(), { code: 'render-queue-full', status: 503 })
  t.equal(await renders(app, 'large', 'refused'), 1, 'counted as refused')
  for (const h of holders) h.destroy()
  await until(() => app.renderPool.busy === 0 && app.renderPool.depth('large') === 0)
  t.equal(await renders(app, 'large', 'completed'), 0, 'the abandoned ones were not rendered to the end')
})
