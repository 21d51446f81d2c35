import autocannon from 'autocannon'
import type { LoadJob, LoadResult, RequestSpec } from './load.ts'
import { summarize } from './stats.ts'

const PLACEHOLDER = /\{(?:id|etag)\}/

interface Kept { id?: string; etag?: string }

/** A request whose path or headers say `{id}` / `{etag}` is filled from the connection's last captured answer, or skipped. */
function filledFrom(spec: RequestSpec) {
  const headers = spec.headers ?? {}
  if (!PLACEHOLDER.test(spec.path) && !Object.values(headers).some((v) => PLACEHOLDER.test(v))) return {}
  return {
    // A falsy answer makes autocannon skip the rest of the list (its documented `resets`); the types do not say so.
    setupRequest: (req: autocannon.Request, context: object): autocannon.Request => {
      const { id, etag = '' } = context as Kept
      if (id === undefined) return null as unknown as autocannon.Request
      const fill = (text: string) => text.replaceAll('{id}', id).replaceAll('{etag}', etag)
      return { ...req, path: fill(spec.path), headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, fill(v)])) }
    }
  }
}

/**
 * Delays a connection's next request by what holdBack says. autocannon has no such option: this
 * wraps its client's private `_doRequest`, which it calls right after emitting 'response' (bench
 * code only; should an upgrade rename it, the bind throws at once).
 */
function holdBackBeforeNext(client: object, holdBack: WeakMap<object, number>): void {
  const c = client as { _doRequest: (...args: unknown[]) => void; destroyed?: boolean }
  const send = c._doRequest.bind(c)
  c._doRequest = (...args: unknown[]) => {
    const ms = holdBack.get(client) ?? 0
    if (ms <= 0) return send(...args)
    holdBack.delete(client)
    // Jittered up to half as long again, as clients do, so that held-back connections do not return in one burst.
    setTimeout(() => { if (!c.destroyed) send(...args) }, ms * (1 + Math.random() / 2)).unref()
  }
}

/** Child process of runLoad: receives one LoadJob over IPC, runs it, sends back one LoadResult. */
async function run(job: LoadJob): Promise<LoadResult> {
  let firstFailure: LoadResult['firstFailure']
  let firstFailureShed = false
  // Set by a request's onResponse, read by the 'response' event autocannon emits right after it for the same answer.
  let lastShed = false
  let lastRetryAfterMs = 0
  let refusedOther = 0
  /** Connections to hold back before their next request (honorRetryAfter), and for how long. */
  const holdBack = new WeakMap<object, number>()
  const requests = job.requests.map(({ capture, ...spec }) => ({
    ...spec,
    ...filledFrom(spec),
    onResponse: (status: number, body: string, context: object, headers: autocannon.Request['headers']) => {
      const ok = status >= 200 && status < 300
      lastShed = status === 503 && String(body).includes('"code":"overloaded"')
      lastRetryAfterMs = lastShed ? Number(headers?.['retry-after'] ?? 1) * 1000 : 0
      if (!ok && !lastShed) refusedOther++
      if (capture) {
        const kept = context as Kept
        kept.id = ok ? (JSON.parse(body) as { id?: string }).id : undefined
        kept.etag = ok ? String(headers?.etag ?? headers?.ETag ?? '') : undefined
      }
      // A refusal other than shedding is the one worth showing.
      if (!ok && (!firstFailure || (firstFailureShed && !lastShed))) {
        firstFailure = { status, body: String(body).slice(0, 2000) }
        firstFailureShed = lastShed
      }
    }
  }))
  // Each connection starts at its own place in the list, so connections do not move in lock step.
  let nextClient = 0
  const group = job.groupSize ?? 1
  const step = Math.max(1, Math.floor(requests.length / group / job.connections)) * group
  const latencies: number[] = []
  const latenciesOk: number[] = []
  const latenciesShed: number[] = []
  const settleSec = job.settleSec ?? 0
  const measureFrom = Date.now() + settleSec * 1000
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({
      url: job.origin,
      connections: job.connections,
      duration: job.durationSec,
      requests,
      setupClient: (client) => {
        const offset = (nextClient++ * step) % requests.length
        client.setRequests([...requests.slice(offset), ...requests.slice(0, offset)])
        if (job.honorRetryAfter) holdBackBeforeNext(client, holdBack)
      }
    }, (err, done) => err ? reject(err) : resolve(done))
    instance.on('response', (client: unknown, status: number, _bytes: number, responseTime: number) => {
      if (lastShed && job.honorRetryAfter) holdBack.set(client as object, lastRetryAfterMs)
      if (Date.now() < measureFrom) return
      latencies.push(responseTime)
      if (status >= 200 && status < 300) latenciesOk.push(responseTime)
      else if (lastShed) latenciesShed.push(responseTime)
    })
  })
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, s.count ?? 0]))
  const ok = result['2xx']
  return {
    responses: latencies.length,
    durationSec: result.duration,
    rps: settleSec > 0 ? latenciesOk.length / (result.duration - settleSec) : ok / result.duration,
    bytesPerResponse: latencies.length > 0 ? result.throughput.total / latencies.length : 0,
    latencyMs: summarize(latencies),
    statusCodes,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    ...(firstFailure ? { firstFailure } : {}),
    shed: latenciesShed.length,
    refusedOther,
    latencyMsShed: summarize(latenciesShed),
    latencyMsOk: summarize(latenciesOk)
  }
}

// The parent going away (Ctrl-C) ends this process too.
process.once('disconnect', () => process.exit(0))
process.once('message', (job: LoadJob) => {
  run(job).then(
    (result) => process.send!({ result }, () => process.exit(0)),
    (err: unknown) => process.send!({ error: (err as Error).stack ?? String(err) }, () => process.exit(1))
  )
})
