import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { BenchFailure, target, type Benchmark } from './lib/benchmark.ts'
import { deferCleanup } from './lib/cleanup.ts'
import { freshBenchDatabase } from './lib/database.ts'
import { machine, printTable, printTargets } from './lib/report.ts'
import { buildService, exited, procMb, startService, stopService } from './lib/service.ts'
import { seedExportCohort, type ExportWorld } from './cohort-csv-seed.ts'

const TRAINEES = 7000
const OBSERVATIONS_PER_TRAINEE = 12
const PLAIN_SERVER = fileURLToPath(new URL('./cohort-csv-server.ts', import.meta.url))

/**
 * plain: the baseline row stream. built: the service as deployed, `node dist/server.js` (what
 * `npm run start:prod` and the Docker image run), the side the targets are about. source: the same
 * service from source under tsx (`npm start`), for comparison.
 */
type Route = 'plain' | 'built' | 'source'
interface Export { round: number; route: Route; seconds: number; rows: number; bytes: number; scoreRowsPerSec: number; rowsOutPerSec: number }
interface Server { child: ChildProcess; url: string }

/** The baseline in its own process (cohort-csv-server.ts), so its peak RSS is its own. */
async function startPlain(url: string, poolMax: number, cohortId: string): Promise<Server> {
  const child = fork(PLAIN_SERVER, [url, String(poolMax), cohortId], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  deferCleanup(() => { if (child.exitCode === null) child.kill() })
  const [message] = await Promise.race([once(child, 'message') as Promise<[{ url: string }]>, exited(child, 'the plain server')])
  return { child, url: message.url }
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
    // The targets are about the service as deployed, so build it as deployed first: never a stale dist/.
    const buildSec = buildService()
    const bench = await freshBenchDatabase(options.serverUrl, options.poolMax)
    const seedStart = Date.now()
    const world: ExportWorld = await seedExportCohort(bench.database.db, TRAINEES, OBSERVATIONS_PER_TRAINEE)
    const env = machine()
    process.stdout.write(
      `Postgres ${bench.serverVersion}, database ${bench.name}; ${env.cpus} CPUs, load average ${env.loadAverage1m.toFixed(2)}; built dist/ in ${buildSec.toFixed(1)} s; ` +
      `seeded ${world.scoreRows} score rows in ${((Date.now() - seedStart) / 1000).toFixed(1)} s; one warm-up + ${options.rounds} round(s) alternating the order; each server in its own process\n`
    )
    const servers = {} as Record<Route, Server>
    for (const route of ['plain', 'built', 'source'] as const) {
      if (route === 'plain') servers[route] = await startPlain(bench.url, options.poolMax, world.cohortId)
      else {
        const { child, origin } = await startService({ entry: route, databaseUrl: bench.url, poolMax: options.poolMax })
        servers[route] = { child, url: `${origin}/v1/cohorts/${world.cohortId}/report.csv` }
      }
    }
    const sides = [
      { route: 'plain' as const, label: 'plain row stream (pg-query-stream, every score row)', url: servers.plain.url },
      { route: 'built' as const, label: 'real GET /v1/cohorts/{id}/report.csv, node dist/server.js', url: servers.built.url },
      { route: 'source' as const, label: 'the same from source, node --import tsx src/server.ts (npm start)', url: servers.source.url }
    ]
    // At rest: listening and settled. No PDF render worker runs: the service starts them with the first report.
    await sleep(3000)
    const restRss = Object.fromEntries(sides.map((s) => [s.route, procMb(servers[s.route].child.pid, 'VmRSS')])) as Record<Route, number>
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
    const peak = Object.fromEntries(sides.map((s) => [s.route, procMb(servers[s.route].child.pid, 'VmHWM')])) as Record<Route, number>
    servers.plain.child.send('stop')
    await Promise.all([
      servers.plain.child.exitCode === null ? once(servers.plain.child, 'exit') : undefined,
      stopService({ child: servers.built.child }),
      stopService({ child: servers.source.child })
    ])

    const best = (route: Route) => runs.filter((r) => r.route === route).reduce((a, b) => (b.seconds < a.seconds ? b : a))
    const kept = { plain: best('plain'), built: best('built'), source: best('source') }
    for (const route of ['built', 'source'] as const) {
      if (kept[route].rows !== world.trainees) throw new BenchFailure(`the ${route} report had ${kept[route].rows} rows for ${world.trainees} trainees`)
    }
    if (kept.plain.rows !== world.scoreRows) throw new BenchFailure(`the plain stream had ${kept.plain.rows} rows for ${world.scoreRows} score rows`)
    process.stdout.write('\nFastest round of each route (score rows/s = the cohort\'s score rows / export time; RSS of the whole process; no PDF render worker runs, none having been asked for a report):\n')
    printTable(['route', 'seconds', 'score rows/s', 'rows out', 'rows out/s', 'MB out', 'RSS at rest MB', 'peak RSS MB'], sides.map((s) => {
      const r = kept[s.route]
      return [s.label, r.seconds, r.scoreRowsPerSec, r.rows, r.rowsOutPerSec, r.bytes / 2 ** 20, restRss[s.route], peak[s.route]]
    }))
    const targets = [
      target('score rows/s real (thousands)', kept.built.scoreRowsPerSec / 1000, '>=', 200),
      target('score rows/s real/plain (200k vs 110k)', kept.built.scoreRowsPerSec / kept.plain.scoreRowsPerSec, '>=', 1.8),
      target('peak RSS MB of the real server (node dist/server.js)', peak.built, '<=', 150)
    ]
    process.stdout.write('\n')
    printTargets(targets)
    await bench.drop()
    return { valid: true, targets, data: { machine: env, postgres: bench.serverVersion, world: { ...world, adminKey: undefined }, runs, kept, restRssMb: restRss, peakRssMb: peak } }
  }
}

export default benchmark
