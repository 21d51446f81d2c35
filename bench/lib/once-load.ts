import { fileURLToPath } from 'node:url'
import { runInChild } from './child-load.ts'
import type { RequestSpec } from './load.ts'
import type { LatencySummary } from './stats.ts'

/**
 * Every request of the list sent exactly once, over `connections` keep-alive connections, each
 * taking the next unsent request as soon as its last one is answered. For writes that cannot be
 * repeated (creating a person twice is a 409), where `runLoad`'s timed, cycling load does not fit.
 */
export interface OnceJob {
  /** Origin of the server, e.g. http://127.0.0.1:40123 (only loopback is allowed). */
  origin: string
  requests: RequestSpec[]
  connections: number
}

export interface OnceResult {
  responses: number
  /** From the first request sent to the last answer read. */
  durationSec: number
  /** 2xx answers per second of durationSec. */
  rps: number
  latencyMs: LatencySummary
  /** Every response time (ms), in the order answered, so that several runs can be pooled. */
  latencies: number[]
  statusCodes: Record<string, number>
  non2xx: number
  errors: number
  firstFailure?: { status: number; body: string }
}

const WORKER = fileURLToPath(new URL('./once-load-worker.ts', import.meta.url))

/** Runs the job in a child process, so the client does not share the event loop of anything measured. */
export function runOnce(job: OnceJob, limitSec = 600): Promise<OnceResult> {
  return runInChild<OnceResult>(WORKER, job.origin, job, limitSec)
}
