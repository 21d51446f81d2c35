import { runInChild } from './child-load.ts'
import { fileURLToPath } from 'node:url'
import type { LatencySummary } from './stats.ts'

/** One HTTP request of a load; every connection cycles through the list, each from its own offset. */
export interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  path: string
  headers?: Record<string, string>
  body?: string
  /**
   * Keep this answer's JSON `id` and `ETag` header for the connection's next requests, whose path
   * and headers may then say `{id}` and `{etag}` (a draft, then its submit). A request that needs
   * them when none were kept (the previous answer was a refusal) is skipped: the connection starts
   * its list again.
   */
  capture?: boolean
}

export interface LoadJob {
  /** Origin of the server under load, e.g. http://127.0.0.1:40123 (only loopback is allowed). */
  origin: string
  requests: RequestSpec[]
  connections: number
  durationSec: number
  /** Connections start their list at a multiple of this, so a group of chained requests stays whole (1). */
  groupSize?: number
  /**
   * Seconds of load that are not measurement, counted from the moment every connection has had its
   * first answer: latencies, shed counts and req/s come from the `durationSec` after that (status
   * codes and errors still cover the whole run). The connections all open at once, and Node accepts
   * one new connection per turn of its event loop (libuv 1.46), so under load the opening burst of
   * a few hundred takes seconds to be accepted: that wait is connection setup, not the overload
   * being measured. Without it (0), the run is measured from its start.
   */
  settleSec?: number
  /**
   * A shed request (503 overloaded) is always sent again, the same request; with this the
   * connection first waits its Retry-After, as a well-behaved client does, else at once.
   */
  honorRetryAfter?: boolean
}

export interface LoadResult {
  /** Responses received during the run, whatever their status. */
  responses: number
  durationSec: number
  /** 2xx responses per second. */
  rps: number
  /** Mean size of a response (headers and body), to check that compared routes answer alike. */
  bytesPerResponse: number
  /** Over every response; a valid run has only 2xx ones. */
  latencyMs: LatencySummary
  statusCodes: Record<string, number>
  non2xx: number
  /** Connection errors and timeouts (timeouts are counted in both). */
  errors: number
  timeouts: number
  /** The first non-2xx answer, so a broken run says why. */
  firstFailure?: { status: number; body: string }
  /** 503 problems with code `overloaded` (load shed), and the latency of those and of the 2xx answers apart. */
  shed: number
  /** Answers other than 2xx and a shed 503, over the whole run (settling included). */
  refusedOther: number
  latencyMsShed: LatencySummary
  latencyMsOk: LatencySummary
  /** Seconds from the start until every connection had its first answer (set when settleSec is). */
  allAnsweredSec?: number
  /** CPU seconds the load generator itself used over the measured part (it shares the machine with the service). */
  generatorCpuSec: number
  /** The load generator's own event-loop delay over the measured part (ms). */
  generatorLoopDelayMs: { p99: number; max: number }
}

const WORKER = fileURLToPath(new URL('./load-worker.ts', import.meta.url))

/**
 * Runs autocannon in a child process (onMeasuring is called when a settled run's measured part begins), so the load generator does not share an event loop with the
 * server under test (both still share the machine's CPUs, equally for every route measured).
 */
export function runLoad(job: LoadJob, onMeasuring?: () => void): Promise<LoadResult> {
  // autocannon stops by itself; the limit only catches a hung child (a settled run may wait up to a minute for its opening burst).
  const limitSec = job.durationSec + (job.settleSec ? job.settleSec + 60 : 0) + 60
  return runInChild<LoadResult>(WORKER, job.origin, job, limitSec, (message) => { if (message.measuring) onMeasuring?.() })
}
