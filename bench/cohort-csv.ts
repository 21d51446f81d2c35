import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { BenchFailure, target, type Benchmark } from './lib/benchmark.ts'
import { deferCleanup } from './lib/cleanup.ts'
import { freshBenchDatabase } from './lib/database.ts'
import { machine, printTable, printTargets } from './lib/report.ts'
import { seedExportCohort, type ExportWorld } from './cohort-csv-seed.ts'

const TRAINEES = 7000
const OBSERVATIONS_PER_TRAINEE = 12
const SERVER = fileURLToPath(new URL('./cohort-csv-server.ts', import.meta.url))

type Route = 'plain' | 'real'
interface Export { round: number; route: Route; seconds: number; rows: number; bytes: number; scoreRowsPerSec: number; rowsOutPerSec: number }
interface Server { child: ChildProcess; url: string; startRssMb: number }

/** Starts one side in its own process (see cohort-csv-server.ts) so its peak RSS is its own. */
async function startServer(route: Route, url: string, poolMax: number, cohortId: string): Promise<Server> {
  const child = fork(SERVER, [route, url, String(poolMax), cohortId], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const [message] = await Promise.race([
    once(child, 'message') as Promise<[{ url: string; rssMb: number }]>,
    once(child, 'exit').then(() => { throw new BenchFailure(`the ${route} server exited before listening`) })
  ])
  return { child, url: message.url, startRssMb: message.rssMb }
}

async function peakRss(server: Server): Promise<number> {
  server.child.send('report')
  const [message] = await once(server.child, 'message') as [{ maxRssMb: number }]
  return message.maxRssMb
}

/** Downloads one export and discards it, counting bytes and lines. */
async function download(url: string, headers: Record<string, string>) {
  const started = process.hrtime.bigint()
  const res = await fetch(url, { headers })
  if (res.status !== 200 || !res.body) throw new BenchFailure(`${url} answered ${res.status}: ${(await res.text()).slice(0, 1000)}`)
  let bytes = 0
  let lines = 0
  for await (const chunk of res.body) {
    bytes += chunk.length
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++
  }
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, bytes, rows: lines - 1 }
}

const benchmark: Benchmark = {
  name: 'cohort-csv',
  title: `Cohort CSV export over ~1M score rows (${TRAINEES} trainees × ${OBSERVATIONS_PER_TRAINEE} observations × 12 criteria) vs a plain row stream`,
  async run(options) {
    const bench = await freshBenchDatabase(options.serverUrl, options.poolMax)
    const seedStart = Date.now()
    const world: ExportWorld = await seedExportCohort(bench.database.db, TRAINEES, OBSERVATIONS_PER_TRAINEE)
    const env = machine()
    process.stdout.write(
      `Postgres ${bench.serverVersion}, database ${bench.name}; ${env.cpus} CPUs, load average ${env.loadAverage1m.toFixed(2)}; ` +
      `seeded ${world.scoreRows} score rows in ${((Date.now() - seedStart) / 1000).toFixed(1)} s; one warm-up + ${options.rounds} round(s) alternating the order; each server in its own process\n`
    )
    const servers = {} as Record<Route, Server>
    for (const route of ['plain', 'real'] as const) {
      const server = await startServer(route, bench.url, options.poolMax, world.cohortId)
      servers[route] = server
      deferCleanup(async () => { if (server.child.exitCode === null) server.child.kill() })
    }
    const sides = [
      { route: 'plain' as const, label: 'plain row stream (pg-query-stream, every score row)', url: servers.plain.url },
      { route: 'real' as const, label: 'real GET /v1/cohorts/{id}/report.csv', url: servers.real.url }
    ]
    const headers = { authorization: `Bearer ${world.adminKey}` }
    for (const side of sides) await download(side.url, headers) // warm-up: query plans, caches, JIT

    const runs: Export[] = []
    for (let round = 1; round <= options.rounds; round++) {
      for (const side of round % 2 === 1 ? sides : [...sides].reverse()) {
        const d = await download(side.url, headers)
        const run = { round, route: side.route, ...d, scoreRowsPerSec: world.scoreRows / d.seconds, rowsOutPerSec: d.rows / d.seconds }
        runs.push(run)
        process.stdout.write(`  round ${round} ${side.route}: ${d.seconds.toFixed(2)} s, ${run.scoreRowsPerSec.toFixed(0)} score rows/s, ${d.rows} rows out\n`)
      }
    }
    const peak = { plain: await peakRss(servers.plain), real: await peakRss(servers.real) }
    for (const server of Object.values(servers)) server.child.send('stop')
    await Promise.all(Object.values(servers).map((s) => s.child.exitCode === null ? once(s.child, 'exit') : undefined))

    const best = (route: Route) => runs.filter((r) => r.route === route).reduce((a, b) => (b.seconds < a.seconds ? b : a))
    const kept = { plain: best('plain'), real: best('real') }
    if (kept.real.rows !== world.trainees) throw new BenchFailure(`the report had ${kept.real.rows} rows for ${world.trainees} trainees`)
    if (kept.plain.rows !== world.scoreRows) throw new BenchFailure(`the plain stream had ${kept.plain.rows} rows for ${world.scoreRows} score rows`)
    process.stdout.write('\nFastest round of each route (score rows/s = the cohort\'s score rows / export time):\n')
    printTable(['route', 'seconds', 'score rows/s', 'rows out', 'rows out/s', 'MB out', 'RSS at start MB', 'peak RSS MB'], sides.map((s) => {
      const r = kept[s.route]
      return [s.label, r.seconds, r.scoreRowsPerSec, r.rows, r.rowsOutPerSec, r.bytes / 2 ** 20, servers[s.route].startRssMb, peak[s.route]]
    }))
    const targets = [
      target('score rows/s real (thousands)', kept.real.scoreRowsPerSec / 1000, '>=', 200),
      target('score rows/s real/plain (200k vs 110k)', kept.real.scoreRowsPerSec / kept.plain.scoreRowsPerSec, '>=', 1.8),
      target('peak RSS MB of the real server', peak.real, '<=', 150)
    ]
    process.stdout.write('\n')
    printTargets(targets)
    await bench.drop()
    return { valid: true, targets, data: { machine: env, postgres: bench.serverVersion, world: { ...world, adminKey: undefined }, runs, kept, peakRssMb: peak } }
  }
}

export default benchmark
