import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { BenchFailure, target, type Benchmark } from './lib/benchmark.ts'
import { deferCleanup } from './lib/cleanup.ts'
import { freshBenchDatabase } from './lib/database.ts'
import { machine, printTable, printTargets } from './lib/report.ts'
import { seedExportCohort, type ExportWorld } from './cohort-csv-seed.ts'

const TRAINEES = 7000
const OBSERVATIONS_PER_TRAINEE = 12
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const PLAIN_SERVER = fileURLToPath(new URL('./cohort-csv-server.ts', import.meta.url))

/**
 * plain: the baseline row stream. built: the service as deployed, `node dist/server.js` (what
 * `npm run start:prod` and the Docker image run), the side the targets are about. source: the same
 * service from source under tsx (`npm start`), for comparison.
 */
type Route = 'plain' | 'built' | 'source'
interface Export { round: number; route: Route; seconds: number; rows: number; bytes: number; scoreRowsPerSec: number; rowsOutPerSec: number }
interface Server { child: ChildProcess; url: string }

/** One figure (VmRSS, VmHWM = peak RSS) of a process, in MB; NaN where there is no /proc (not Linux). */
function procMb(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
    return kb === undefined ? Number.NaN : Number(kb) / 1024
  } catch {
    return Number.NaN
  }
}

function exited(child: ChildProcess, what: string): Promise<never> {
  return once(child, 'exit').then(([code]) => { throw new BenchFailure(`${what} exited (${code}) before listening`) })
}

/** The baseline in its own process (cohort-csv-server.ts), so its peak RSS is its own. */
async function startPlain(url: string, poolMax: number, cohortId: string): Promise<Server> {
  const child = fork(PLAIN_SERVER, [url, String(poolMax), cohortId], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const [message] = await Promise.race([once(child, 'message') as Promise<[{ url: string }]>, exited(child, 'the plain server')])
  return { child, url: message.url }
}

/**
 * The service's own entry point in a process started exactly as it is deployed (no bench code in
 * it), configured through its environment; the export's URL once it says it is listening.
 */
async function startService(route: 'built' | 'source', url: string, poolMax: number, cohortId: string): Promise<Server> {
  const args = route === 'built' ? ['dist/server.js'] : ['--import', 'tsx', 'src/server.ts']
  const env = { PATH: process.env.PATH, DATABASE_URL: url, DB_POOL_MAX: String(poolMax), HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', LOAD_RUBRICS_ON_START: 'false' }
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  const listening = new Promise<string>((resolve) => {
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      out += text
      const origin = /listening on (http:\/\/[^\s,]+)/.exec(out)?.[1]
      if (origin) resolve(origin)
    })
  })
  const origin = await Promise.race([listening, exited(child, `the ${route} service (node ${args.join(' ')})`)])
  return { child, url: `${origin}/v1/cohorts/${cohortId}/report.csv` }
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
    const buildStart = Date.now()
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' })
    const buildSec = (Date.now() - buildStart) / 1000
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
      const server = route === 'plain'
        ? await startPlain(bench.url, options.poolMax, world.cohortId)
        : await startService(route, bench.url, options.poolMax, world.cohortId)
      servers[route] = server
      deferCleanup(async () => { if (server.child.exitCode === null) server.child.kill() })
    }
    const sides = [
      { route: 'plain' as const, label: 'plain row stream (pg-query-stream, every score row)', url: servers.plain.url },
      { route: 'built' as const, label: 'real GET /v1/cohorts/{id}/report.csv, node dist/server.js', url: servers.built.url },
      { route: 'source' as const, label: 'the same from source, node --import tsx src/server.ts (npm start)', url: servers.source.url }
    ]
    // At rest: listening, and the PDF workers the service starts after listening have loaded.
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
    servers.built.child.kill('SIGTERM')
    servers.source.child.kill('SIGTERM')
    await Promise.all(Object.values(servers).map((s) => s.child.exitCode === null ? once(s.child, 'exit') : undefined))

    const best = (route: Route) => runs.filter((r) => r.route === route).reduce((a, b) => (b.seconds < a.seconds ? b : a))
    const kept = { plain: best('plain'), built: best('built'), source: best('source') }
    for (const route of ['built', 'source'] as const) {
      if (kept[route].rows !== world.trainees) throw new BenchFailure(`the ${route} report had ${kept[route].rows} rows for ${world.trainees} trainees`)
    }
    if (kept.plain.rows !== world.scoreRows) throw new BenchFailure(`the plain stream had ${kept.plain.rows} rows for ${world.scoreRows} score rows`)
    process.stdout.write('\nFastest round of each route (score rows/s = the cohort\'s score rows / export time; RSS of the whole process, PDF worker threads included):\n')
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
