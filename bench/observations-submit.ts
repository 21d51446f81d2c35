import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import pg from 'pg'
import { buildApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { BenchFailure, target, type Benchmark } from './lib/benchmark.ts'
import { deferCleanup } from './lib/cleanup.ts'
import { freshBenchDatabase } from './lib/database.ts'
import { runLoad, type LoadResult, type RequestSpec } from './lib/load.ts'
import { BENCH_RATE_LIMITS, type BenchOptions } from './lib/options.ts'
import { countQueries } from './lib/query-counter.ts'
import { machine, printTable, printTargets } from './lib/report.ts'
import { benchRubric, seedSupervisedCohort } from './lib/seed.ts'
import { BARE_PATH, buildBareApp } from './observations-bare-route.ts'
import { submitRequests } from './observations-workload.ts'

const TRAINEES = 50
const PROBE_REQUESTS = 20

interface Side {
  key: 'bare' | 'real'
  label: string
  origin: string
  requests: RequestSpec[]
  /** Replays one request on a copy of the server that logs errors, to show why it failed. */
  diagnose?: (spec: RequestSpec) => Promise<void>
  queriesPerRequest?: number
  statements?: Record<string, number>
}

interface Run extends LoadResult {
  round: number
  route: Side['key']
  /** CPU time of this process (the server under test; load runs in a child) per response: robust to a busy machine. */
  serverCpuMsPerRequest: number
}

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
}

/** One request before any load: a route that does not answer 201 is reported with its answer, not benchmarked. */
async function preflight(side: Side): Promise<void> {
  const spec = side.requests[0]!
  const res = await fetch(side.origin + spec.path, { method: spec.method, headers: spec.headers, body: spec.body ?? null })
  if (res.status !== 201) {
    if (res.status >= 500) await side.diagnose?.(spec)
    throw new BenchFailure(`${side.label} answered ${res.status} instead of 201 to a valid submission:\n${(await res.text()).slice(0, 2000)}`)
  }
}

/** Statements per request, counted over a few sequential requests (fire-and-forget writes included). */
async function probeQueries(side: Side): Promise<void> {
  const { queries, statements } = await countQueries(async () => {
    for (let i = 0; i < PROBE_REQUESTS; i++) {
      const spec = side.requests[(i + 1) % side.requests.length]!
      const res = await fetch(side.origin + spec.path, { method: spec.method, headers: spec.headers, body: spec.body ?? null })
      await res.arrayBuffer()
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  })
  side.queriesPerRequest = queries / PROBE_REQUESTS
  side.statements = Object.fromEntries([...statements].map(([text, n]) => [text, n / PROBE_REQUESTS]))
}

function assertClean(side: Side, result: LoadResult, phase: string): void {
  if (result.non2xx === 0 && result.errors === 0) return
  const failure = result.firstFailure ? `\nfirst failing answer (${result.firstFailure.status}): ${result.firstFailure.body}` : ''
  throw new BenchFailure(
    `${side.label} during ${phase}: ${result.non2xx} non-2xx responses, ${result.errors} connection errors ` +
    `(${result.timeouts} timeouts); status codes ${JSON.stringify(result.statusCodes)}. Nothing measured this way means anything.${failure}`
  )
}

async function measure(side: Side, options: BenchOptions, round: number): Promise<Run> {
  const job = { origin: side.origin, requests: side.requests, connections: options.connections }
  assertClean(side, await runLoad({ ...job, durationSec: options.warmupSec }), `warm-up (round ${round})`)
  const cpu = process.cpuUsage()
  const result = await runLoad({ ...job, durationSec: options.durationSec })
  const used = process.cpuUsage(cpu)
  assertClean(side, result, `measurement (round ${round})`)
  return { ...result, round, route: side.key, serverCpuMsPerRequest: (used.user + used.system) / 1000 / result.responses }
}

/** The run with the most requests per second; its own p50/p99 go with it, so every figure kept is from one measurement. */
const best = (runs: Run[], key: Side['key']) =>
  runs.filter((r) => r.route === key).reduce((a, b) => (b.rps > a.rps ? b : a))

const benchmark: Benchmark = {
  name: 'observations',
  title: 'Submit a complete observation (12 scores with evidence, revision, audit row) vs bare pg route',
  async run(options) {
    const bench = await freshBenchDatabase(options.serverUrl, options.poolMax)
    const rubric = benchRubric(3, 4)
    const world = await seedSupervisedCohort(bench.database.db, rubric, TRAINEES)

    const config = loadConfig({
      DATABASE_URL: bench.url, DB_POOL_MAX: String(options.poolMax), LOG_LEVEL: 'silent', LOAD_RUBRICS_ON_START: 'false', ...BENCH_RATE_LIMITS
    })
    const app = await buildApp({ config, database: bench.database, logger: false })
    const closeApp = deferCleanup(() => app.close())
    const pool = new pg.Pool({ connectionString: bench.url, max: options.poolMax })
    pool.on('error', () => {})
    const closePool = deferCleanup(() => pool.end())
    const bare = buildBareApp(pool, world, rubric)
    const closeBare = deferCleanup(() => bare.close())

    const sides: Side[] = [
      { key: 'bare', label: `bare ${BARE_PATH} (pg, one transaction)`, origin: await listen(bare), requests: submitRequests(BARE_PATH, world, rubric) },
      {
        key: 'real', label: 'real POST /v1/observations', origin: await listen(app), requests: submitRequests('/v1/observations', world, rubric),
        diagnose: async (spec) => {
          // The measured app logs nothing; this copy logs errors to stderr, for one request only.
          const loud = await buildApp({ config, database: bench.database, logger: { level: 'error' } })
          await loud.inject({ method: spec.method, url: spec.path, headers: spec.headers, ...(spec.body ? { payload: spec.body } : {}) })
          await loud.close()
        }
      }
    ]
    const env = machine()
    process.stdout.write(
      `Postgres ${bench.serverVersion}, database ${bench.name}; ${env.cpus} CPUs, load average ${env.loadAverage1m.toFixed(2)}; ` +
      `${options.connections} connections, pool ${options.poolMax} each side, warm-up ${options.warmupSec} s + ` +
      `${options.durationSec} s measured per route, ${options.rounds} round(s) alternating the order\n`
    )
    for (const side of sides) {
      await preflight(side)
      await probeQueries(side)
    }

    const runs: Run[] = []
    for (let round = 1; round <= options.rounds; round++) {
      const order = round % 2 === 1 ? sides : [...sides].reverse()
      for (const side of order) {
        const run = await measure(side, options, round)
        runs.push(run)
        process.stdout.write(`  round ${round} ${side.key}: ${run.rps.toFixed(0)} req/s, p50 ${run.latencyMs.p50.toFixed(1)} ms, p99 ${run.latencyMs.p99.toFixed(1)} ms\n`)
      }
    }

    const kept = { bare: best(runs, 'bare'), real: best(runs, 'real') }
    process.stdout.write('\nBest round of each route (by req/s):\n')
    printTable(
      ['route', 'req/s', 'p50 ms', 'p99 ms', 'queries/req', 'server CPU ms/req', 'non-2xx', 'errors'],
      sides.map((side) => {
        const r = kept[side.key]
        return [side.label, r.rps, r.latencyMs.p50, r.latencyMs.p99, side.queriesPerRequest ?? Number.NaN, r.serverCpuMsPerRequest, r.non2xx, r.errors]
      })
    )
    const targets = [
      target('throughput real/bare', kept.real.rps / kept.bare.rps, '>=', 0.5),
      target('p99 real/bare', kept.real.latencyMs.p99 / kept.bare.latencyMs.p99, '<=', 1.5)
    ]
    process.stdout.write('\n')
    printTargets(targets)

    await closeBare()
    await closePool()
    await closeApp()
    await bench.drop()
    return {
      valid: true,
      targets,
      data: {
        machine: env,
        postgres: bench.serverVersion,
        options: { ...options, serverUrl: undefined },
        trainees: TRAINEES,
        criteria: rubric.areas.reduce((n, a) => n + a.criteria.length, 0),
        queries: Object.fromEntries(sides.map((s) => [s.key, { perRequest: s.queriesPerRequest, statements: s.statements }])),
        runs,
        kept
      }
    }
  }
}

export default benchmark
