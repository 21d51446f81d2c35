import { Agent, get } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { ask, assertClean } from './report-render-control.ts'
import { runLoad, type LoadResult, type RequestSpec } from './lib/load.ts'
import type { BenchOptions } from './lib/options.ts'
import type { Service } from './lib/service.ts'
import { summarize, type LatencySummary } from './lib/stats.ts'

/**
 * Does rendering keep the server responsive? A liveness probe (GET /health/live, one request every
 * PROBE_INTERVAL_MS on one keep-alive connection, as a load balancer would) runs from this process
 * while autocannon, in its own process, keeps IN_FLIGHT report downloads going; meanwhile the
 * service records its own event-loop delay (lib/loop-probe.mjs, preloaded into it). The same probe
 * on the idle server is the baseline.
 */
export const IN_FLIGHT = 8
const PROBE_INTERVAL_MS = 10
/** The idle baseline needs fewer seconds than the loaded phase: nothing varies there. */
const IDLE_SECONDS = 3

/** What lib/loop-probe.mjs answers to 'eld-stop': delay beyond its 10 ms timer interval. */
export interface LoopDelay {
  samples: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  meanMs: number
}

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

async function phase(service: Service, seconds: number): Promise<Omit<LoopPhase, 'inFlight'>> {
  service.child.send('eld-start')
  const latencies = await probeHealth(service.origin, seconds)
  const { delay } = await ask<{ delay: LoopDelay }>(service.child, 'eld-stop', 'delay')
  return { health: { count: latencies.length, latencyMs: summarize(latencies) }, delay }
}

export async function measureLoopDelay(service: Service, report: RequestSpec, options: BenchOptions): Promise<LoopPhase[]> {
  const idle = { inFlight: 0, ...(await phase(service, Math.min(IDLE_SECONDS, options.durationSec))) }
  // The downloads start first and outlast the probe by a second, so IN_FLIGHT are in flight throughout.
  const load = runLoad({ origin: service.origin, requests: [report], connections: IN_FLIGHT, durationSec: options.warmupSec + options.durationSec + 1 })
  await sleep(options.warmupSec * 1000)
  const loaded = await phase(service, options.durationSec)
  const reports = await load
  assertClean(reports, `the health probe with ${IN_FLIGHT} reports in flight`)
  return [idle, { inFlight: IN_FLIGHT, ...loaded, reports }]
}
