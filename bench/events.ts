import type { AddressInfo } from 'node:net'
import { sql } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../src/app.ts'
import { ensureAdmin } from '../src/bootstrap.ts'
import { loadConfig, type Config } from '../src/config.ts'
import type { Database } from '../src/db/client.ts'
import { rows } from '../src/db/rows.ts'
import { BenchFailure, target, type Benchmark } from './lib/benchmark.ts'
import { deferCleanup } from './lib/cleanup.ts'
import { freshBenchDatabase, type BenchDatabase } from './lib/database.ts'
import { runLoad, type LoadResult } from './lib/load.ts'
import { BENCH_RATE_LIMITS, BenchSetupError, type BenchOptions } from './lib/options.ts'
import { machine, printTable, printTargets } from './lib/report.ts'
import { benchRubric, seedSupervisedCohort } from './lib/seed.ts'
import { median, summarize } from './lib/stats.ts'
import { openLoop, startReceiver, waitFor, type Receiver } from './events-receivers.ts'
import { submitRequests } from './observations-workload.ts'

/** Enough that a minute at 100/s leaves each about 13 observations: the submission's evidence refresh grows with them (bench/README.md). */
const TRAINEES = 500
const ADMIN_KEY = 'rk_bench-events-admin-000000000000000000000000000'
/** How long an "on" run's deliveries may take to catch up after its load, before the run counts as broken. */
const DRAIN_MS = 120_000

type Side = 'off' | 'on'

interface Run extends LoadResult { round: number; side: Side; drainSec?: number }

/** Fixed-rate part's settings (bench code reads its environment itself): BENCH_EVENTS_RATE, BENCH_EVENTS_RATE_SEC (0 skips it). */
function rateOptions(env = process.env) {
  const num = (name: string, fallback: number) => {
    const raw = env[name]
    const n = raw === undefined || raw === '' ? fallback : Number(raw)
    if (!Number.isInteger(n) || n < 0 || n > 10_000) throw new BenchSetupError(`${name} must be an integer from 0 to 10000, not ${raw}`)
    return n
  }
  return { rate: num('BENCH_EVENTS_RATE', 100), seconds: num('BENCH_EVENTS_RATE_SEC', 60) }
}

/**
 * Each measurement gets an app of its own, built and closed around it, so an "on" app's loops
 * never run during an "off" measurement. "off" is `buildApp({ events: false })`: the same app and
 * database, but writes record no events and no background loop runs (no relay, fan-out, delivery).
 */
async function withApp<T>(side: Side, config: Config, database: Database, work: (origin: string, app: FastifyInstance) => Promise<T>): Promise<T> {
  const app = await buildApp({ config, database, logger: false, events: side === 'on' })
  const close = deferCleanup(() => app.close())
  try {
    await app.listen({ host: '127.0.0.1', port: 0 })
    return await work(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, app)
  } finally {
    await close()
  }
}

const delivered = (receivers: Receiver[]) => receivers.reduce((n, r) => n + r.count(), 0)

async function eventCount(database: Database): Promise<number> {
  const [row] = await rows<{ n: number }>(database.db, sql`select count(*)::int as n from events where type = 'observation.submitted'`)
  return row?.n ?? 0
}

const benchmark: Benchmark = {
  name: 'events',
  // Odd, so the median of the rounds' ratios is one of them. One side alone moves by up to 25 %
  // between rounds on a shared two-core machine (no steal time reported), while the two sides of
  // one round, measured back to back, move together.
  defaultRounds: 5,
  title: 'Observation submissions with events and webhook delivery (two receivers on loopback) vs the same app without events',
  async run(options: BenchOptions) {
    const rate = rateOptions()
    const bench = await freshBenchDatabase(options.serverUrl, options.poolMax)
    const rubric = benchRubric(3, 4)
    const world = await seedSupervisedCohort(bench.database.db, rubric, TRAINEES)
    await ensureAdmin(bench.database.db, ADMIN_KEY)
    const receivers = [await startReceiver(), await startReceiver()]
    const closeReceivers = deferCleanup(() => Promise.all(receivers.map((r) => r.close())).then(() => undefined))
    const configFor = (db: BenchDatabase) => loadConfig({
      DATABASE_URL: db.url, DB_POOL_MAX: String(options.poolMax), LOG_LEVEL: 'silent', LOAD_RUBRICS_ON_START: 'false',
      WEBHOOK_ALLOW_PRIVATE: 'true', DISPATCHER_ENABLED: 'true', ...BENCH_RATE_LIMITS
    })
    const requests = submitRequests('/v1/observations', world, rubric)
    /**
     * Every measurement runs on a copy of the seeded database: a submission's cost grows with the
     * trainee's observations (their evidence is refreshed), so a side measured after another on
     * the same rows would pay for the rows the first one wrote.
     */
    const onCopy = async <T>(side: Side, work: (origin: string, db: Database) => Promise<T>): Promise<T> => {
      const copy = await bench.copy()
      try {
        return await withApp(side, configFor(copy), copy.database, (origin) => work(origin, copy.database))
      } finally {
        await copy.drop()
      }
    }

    // The endpoints are registered through the API, as an integration would.
    await withApp('on', configFor(bench), bench.database, async (origin) => {
      for (const r of receivers) {
        const res = await fetch(`${origin}/v1/webhook-endpoints`, {
          method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({ url: r.url, eventTypes: ['observation.submitted'], description: 'bench receiver' })
        })
        if (res.status !== 201) throw new BenchFailure(`POST /v1/webhook-endpoints answered ${res.status}: ${(await res.text()).slice(0, 500)}`)
      }
    })

    // Statistics for the planner, as autovacuum would have gathered them (the copies inherit them).
    await bench.database.db.execute(sql`analyze`)

    const env = machine()
    process.stdout.write(
      `Postgres ${bench.serverVersion}, database ${bench.name}; ${env.cpus} CPUs, load average ${env.loadAverage1m.toFixed(2)}; ` +
      `${options.connections} connections, pool ${options.poolMax}, warm-up ${options.warmupSec} s + ${options.durationSec} s per side, ` +
      `${options.rounds} round(s) alternating; then ${rate.rate}/s for ${rate.seconds} s\n`
    )

    const measure = (side: Side, round: number): Promise<Run> => onCopy(side, async (origin, db) => {
      const job = { origin, requests, connections: options.connections }
      const before = await eventCount(db)
      const deliveredBefore = delivered(receivers)
      const warm = await runLoad({ ...job, durationSec: options.warmupSec })
      const result = await runLoad({ ...job, durationSec: options.durationSec })
      for (const r of [warm, result]) {
        // A shed 503 (`overloaded`) is the service's own overload answer, sent again by the load and
        // not counted in req/s, alike on both sides; any other refusal or error breaks the run.
        if (r.refusedOther > 0 || r.errors > 0) throw new BenchFailure(`${side}: ${r.refusedOther} refused, ${r.errors} errors; first: ${JSON.stringify(r.firstFailure)}`)
      }
      if (side === 'off') return { ...result, round, side }
      // Every event of the run reaches both receivers before the app closes (else the "on" side left work undone).
      const expected = deliveredBefore + 2 * ((await eventCount(db)) - before)
      const drainSec = await waitFor(() => delivered(receivers) >= expected, DRAIN_MS)
      if (!Number.isFinite(drainSec)) throw new BenchFailure(`on: ${expected - delivered(receivers)} deliveries still missing ${DRAIN_MS / 1000} s after the load`)
      return { ...result, round, side, drainSec }
    })

    const runs: Run[] = []
    for (let round = 1; round <= options.rounds; round++) {
      for (const side of (round % 2 === 1 ? ['off', 'on'] : ['on', 'off']) as Side[]) {
        const run = await measure(side, round)
        runs.push(run)
        process.stdout.write(`  round ${round} ${side}: ${run.rps.toFixed(0)} req/s, p99 ${run.latencyMs.p99.toFixed(1)} ms, ${run.shed} shed` +
          `${run.drainSec === undefined ? '' : `, deliveries caught up ${run.drainSec.toFixed(1)} s after the load`}\n`)
      }
    }
    const best = (side: Side) => runs.filter((r) => r.side === side).reduce((a, b) => (b.rps > a.rps ? b : a))
    const kept = { off: best('off'), on: best('on') }
    printTable(['side (best round)', 'req/s', 'p50 ms', 'p99 ms'], (['off', 'on'] as const).map((s) => [s, kept[s].rps, kept[s].latencyMs.p50, kept[s].latencyMs.p99]))
    // The figure is the median of the rounds' own ratios: each round's sides ran back to back on
    // identical copies, so a round the machine disturbed moves the figure by one rank at most.
    const ratios = Array.from({ length: options.rounds }, (_, i) => {
      const side = (s: Side) => runs.find((r) => r.round === i + 1 && r.side === s)!.rps
      return side('on') / side('off')
    })
    const middle = median(ratios)
    process.stdout.write(`  on/off per round: ${ratios.map((r) => r.toFixed(2)).join(', ')}; median ${middle.toFixed(2)}, best of each side ${(kept.on.rps / kept.off.rps).toFixed(2)}\n`)
    const targets = [target('throughput events on/off (median of rounds)', middle, '>=', 0.85)]

    let fixed: Record<string, unknown> | undefined
    if (rate.seconds > 0) {
      for (const r of receivers) r.arrivals.clear()
      const sent = await onCopy('on', async (origin) => {
        // Warm-up at the same rate, unmeasured (a new app's first seconds are JIT and connection setup).
        await openLoop(origin, requests, rate.rate, options.warmupSec)
        const result = await openLoop(origin, requests, rate.rate, rate.seconds)
        await waitFor(() => receivers.every((r) => [...result.committed.keys()].every((id) => r.arrivals.has(id))), 30_000)
        return result
      })
      const latencies: number[] = []
      let missing = 0
      for (const [id, at] of sent.committed) {
        for (const r of receivers) {
          const got = r.arrivals.get(id)
          if (got === undefined) missing++
          else latencies.push(got - at)
        }
      }
      const lat = summarize(latencies)
      const api = summarize(sent.apiLatencyMs)
      process.stdout.write(`\n${rate.rate}/s for ${rate.seconds} s: ${sent.committed.size} committed, ${sent.failed} failed, ${missing} deliveries missing\n`)
      printTable(['commit -> delivery', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'API p99 ms'], [['2 receivers', lat.p50, lat.p90, lat.p99, lat.max, api.p99]])
      targets.push(target('commit->delivery p99 (s)', lat.p99 / 1000, '<=', 1))
      if (sent.failed > 0 || missing > 0) throw new BenchFailure(`fixed rate: ${sent.failed} failed submissions (first: ${sent.firstFailure ?? '-'}), ${missing} deliveries missing after 30 s`)
      fixed = { rate: rate.rate, seconds: rate.seconds, committed: sent.committed.size, latencyMs: lat, apiLatencyMs: api }
    }
    process.stdout.write('\n')
    printTargets(targets)
    await closeReceivers()
    await bench.drop()
    return { valid: true, targets, data: { machine: env, postgres: bench.serverVersion, options: { ...options, serverUrl: undefined }, runs, kept, ratios, median: middle, fixed } }
  }
}

export default benchmark
