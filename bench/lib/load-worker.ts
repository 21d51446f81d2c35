import { monitorEventLoopDelay } from 'node:perf_hooks'
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
 * A shed request is sent again, as a client does: the same request (not the next in the list),
 * after what `retry` says for the connection (0: at once). autocannon has neither option: this wraps
 * its client's private `_doRequest`, which it calls right after emitting 'response', and steps its
 * request iterator back one so that it moves to the same request again (bench code only; should an
 * upgrade rename them, the bind throws at once).
 */
function resendShed(client: object, retry: WeakMap<object, number>): void {
  const c = client as {
    _doRequest: (...args: unknown[]) => void
    destroyed?: boolean
    requestIterator: { currentRequestIndex: number }
  }
  const send = c._doRequest.bind(c)
  c._doRequest = (...args: unknown[]) => {
    const ms = retry.get(client)
    if (ms === undefined) return send(...args)
    retry.delete(client)
    c.requestIterator.currentRequestIndex--
    if (ms <= 0) return send(...args)
    // Jittered up to half as long again, as clients do, so that held-back connections do not return in one burst.
    setTimeout(() => { if (!c.destroyed) send(...args) }, ms * (1 + Math.random() / 2)).unref()
  }
}

const LOOP_RESOLUTION_MS = 10
/** The histogram holds whole intervals between ticks, the timer's own included; the delay is what exceeds it (0 when it never ran). */
const loopDelayMs = (ns: number) => (Number.isFinite(ns) && ns > 0 ? Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS) : 0)

/** Child process of runLoad: receives one LoadJob over IPC, runs it, sends back one LoadResult. */
async function run(job: LoadJob): Promise<LoadResult> {
  let firstFailure: LoadResult['firstFailure']
  let firstFailureShed = false
  // Set by a request's onResponse, read by the 'response' event autocannon emits right after it for the same answer.
  let lastShed = false
  let lastRetryAfterMs = 0
  let refusedOther = 0
  /** Connections whose last request was shed, and how long they wait before sending it again. */
  const retry = new WeakMap<object, number>()
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
  const started = Date.now()
  /** When the measured part starts: at once without settling, else settleSec after every connection was answered once. */
  let measureFrom = settleSec > 0 ? Number.POSITIVE_INFINITY : started
  let allAnsweredAt: number | undefined
  const answered = new WeakSet<object>()
  let unanswered = job.connections
  // The generator's own event-loop delay over the measured part: a late loop reads answers late, and
  // every latency it records grows by that much, so a run whose generator lagged measures itself.
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS })
  const timers: NodeJS.Timeout[] = []
  let cpuFrom = process.cpuUsage()
  /** Bounds the wait for the opening burst: a connection never answered must not stretch the run for ever. */
  const MAX_SETTLE_SEC = 60
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({
      url: job.origin,
      connections: job.connections,
      // With settling the run ends when its measured part has lasted durationSec (stop() below).
      duration: settleSec > 0 ? settleSec + job.durationSec + MAX_SETTLE_SEC : job.durationSec,
      requests,
      setupClient: (client) => {
        const offset = (nextClient++ * step) % requests.length
        client.setRequests([...requests.slice(offset), ...requests.slice(0, offset)])
        resendShed(client, retry)
      }
    }, (err, done) => err ? reject(err) : resolve(done))
    const beginMeasuring = (at: number) => {
      measureFrom = at
      timers.push(setTimeout(() => { loop.enable(); cpuFrom = process.cpuUsage(); process.send!({ measuring: true }) }, Math.max(0, at - Date.now())))
      timers.push(setTimeout(() => instance.stop(), at - Date.now() + job.durationSec * 1000))
    }
    if (settleSec > 0) timers.push(setTimeout(() => { if (allAnsweredAt === undefined) beginMeasuring(Date.now() + settleSec * 1000) }, MAX_SETTLE_SEC * 1000))
    else loop.enable()
    instance.on('response', (client: object, status: number, _bytes: number, responseTime: number) => {
      if (lastShed) retry.set(client, job.honorRetryAfter ? lastRetryAfterMs : 0)
      if (!answered.has(client)) {
        answered.add(client)
        if (--unanswered === 0 && settleSec > 0 && measureFrom === Number.POSITIVE_INFINITY) {
          allAnsweredAt = Date.now()
          beginMeasuring(allAnsweredAt + settleSec * 1000)
        }
      }
      if (Date.now() < measureFrom) return
      latencies.push(responseTime)
      if (status >= 200 && status < 300) latenciesOk.push(responseTime)
      else if (lastShed) latenciesShed.push(responseTime)
    })
  })
  for (const timer of timers) clearTimeout(timer)
  const cpu = process.cpuUsage(cpuFrom)
  loop.disable()
  const measuredSec = settleSec > 0 ? Math.max(0, (Date.now() - measureFrom) / 1000) : result.duration
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, s.count ?? 0]))
  const ok = result['2xx']
  return {
    responses: latencies.length,
    durationSec: measuredSec,
    ...(allAnsweredAt !== undefined ? { allAnsweredSec: (allAnsweredAt - started) / 1000 } : {}),
    rps: settleSec > 0 ? latenciesOk.length / measuredSec : ok / result.duration,
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
    latencyMsOk: summarize(latenciesOk),
    generatorCpuSec: (cpu.user + cpu.system) / 1e6,
    generatorLoopDelayMs: { p99: loopDelayMs(loop.percentile(99)), max: loopDelayMs(loop.max) }
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
