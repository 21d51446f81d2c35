import { Agent, get } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import type { LoopDelay } from './report-render-server.ts'
import { ask, assertClean, type Server } from './report-render-control.ts'
import { runLoad, type LoadResult, type RequestSpec } from './lib/load.ts'
import type { BenchOptions } from './lib/options.ts'
import { summarize, type LatencySummary } from './lib/stats.ts'

/**
 * Does rendering keep the server responsive? A liveness probe (GET /health/live, one request every
 * PROBE_INTERVAL_MS on one keep-alive connection, as a load balancer would) runs from this process
 * while autocannon, in its own process, keeps IN_FLIGHT report downloads going; meanwhile the
 * server records its own event-loop delay. The same probe on the idle server is the baseline.
 */
export const IN_FLIGHT = 8
const PROBE_INTERVAL_MS = 10
/** The idle baseline needs fewer seconds than the loaded phase: nothing varies there. */
const IDLE_SECONDS = 3

export interface LoopPhase {
  inFlight: number
  health: { count: number; latencyMs: LatencySummary }
  delay: LoopDelay
  /** The report downloads that ran alongside (their latency includes the wait for a render worker). */
  reports?: LoadResult
}

async function probeHealth(origin: string, durationSec: number): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const latencies: number[] = []
  const end = performance.now() + durationSec * 1000
  try {
    while (performance.now() < end) {
      const started = performance.now()
      await new Promise<void>((resolve, reject) => {
        get(`${origin}/health/live`, { agent }, (res) => {
          if (res.statusCode !== 200) reject(new Error(`/health/live answered ${res.statusCode}`))
          res.resume().once('end', resolve).once('error', reject)
        }).once('error', reject)
      })
      const took = performance.now() - started
      latencies.push(took)
      if (took < PROBE_INTERVAL_MS) await sleep(PROBE_INTERVAL_MS - took)
    }
  } finally {
    agent.destroy()
  }
  return latencies
}

async function phase(server: Server, seconds: number): Promise<Omit<LoopPhase, 'inFlight'>> {
  server.child.send('eld-start')
  const latencies = await probeHealth(server.origin, seconds)
  const { delay } = await ask<{ delay: LoopDelay }>(server, 'eld-stop', 'delay')
  return { health: { count: latencies.length, latencyMs: summarize(latencies) }, delay }
}

export async function measureLoopDelay(server: Server, report: RequestSpec, options: BenchOptions): Promise<LoopPhase[]> {
  const idle = { inFlight: 0, ...(await phase(server, Math.min(IDLE_SECONDS, options.durationSec))) }
  // The downloads start first and outlast the probe by a second, so IN_FLIGHT are in flight throughout.
  const load = runLoad({ origin: server.origin, requests: [report], connections: IN_FLIGHT, durationSec: options.warmupSec + options.durationSec + 1 })
  await sleep(options.warmupSec * 1000)
  const loaded = await phase(server, options.durationSec)
  const reports = await load
  assertClean(reports, `the health probe with ${IN_FLIGHT} reports in flight`)
  return [idle, { inFlight: IN_FLIGHT, ...loaded, reports }]
}
