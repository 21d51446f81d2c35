/**
 * The Rapport server of the report-render benchmark, in a process of its own so that its peak RSS
 * (main thread plus render worker threads) is the server's alone. argv: <database url> <pool max>.
 * Tells its parent { origin, rssMb, renderWorkers } once listening with its render workers started, as
 * src/server.ts does. Messages: 'eld-start' starts a fresh event-loop delay histogram, 'eld-stop'
 * answers its figures; 'report' answers the lifetime peak RSS; 'stop' closes and exits.
 */
import type { AddressInfo } from 'node:net'
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'
import { buildApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'

export interface LoopDelay {
  samples: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  meanMs: number
}

/** Node's default sampling interval: a timer every 10 ms. */
const RESOLUTION_MS = 10

/**
 * The histogram records the whole time between two ticks of its timer, the interval included
 * (an idle loop shows ~10.1 ms at the median); the delay is what exceeds the interval.
 */
const delayMs = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS)

async function main([url, poolMax]: string[]) {
  if (!process.send || !url || !poolMax) throw new Error('usage: fork with <database url> <pool max>')
  const app = await buildApp({ config: loadConfig({ DATABASE_URL: url, DB_POOL_MAX: poolMax, LOG_LEVEL: 'silent', LOAD_RUBRICS_ON_START: 'false' }), logger: false })
  await app.listen({ host: '127.0.0.1', port: 0 })
  app.renderPool.warm()
  let histogram: IntervalHistogram | undefined
  process.on('message', (message) => {
    if (message === 'eld-start') {
      histogram?.disable()
      histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS })
      histogram.enable()
    }
    if (message === 'eld-stop' && histogram) {
      histogram.disable()
      const h = histogram
      const delay: LoopDelay = { samples: h.count, p50Ms: delayMs(h.percentile(50)), p99Ms: delayMs(h.percentile(99)), maxMs: delayMs(h.max), meanMs: delayMs(h.mean) }
      process.send!({ delay })
    }
    if (message === 'report') process.send!({ maxRssMb: process.resourceUsage().maxRSS / 1024, rssMb: process.memoryUsage.rss() / 2 ** 20 })
    if (message === 'stop') void app.close().then(() => process.exit(0))
  })
  process.send({ origin: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, rssMb: process.memoryUsage.rss() / 2 ** 20, renderWorkers: app.renderPool.size })
}

// The parent going away (Ctrl-C) ends this process too.
process.once('disconnect', () => process.exit(0))
main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
