import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { BenchFailure, target, type Benchmark } from './lib/benchmark.ts'
import { freshBenchDatabase } from './lib/database.ts'
import { runLoad, type LoadResult, type RequestSpec } from './lib/load.ts'
import type { BenchOptions } from './lib/options.ts'
import { machine, printTable, printTargets } from './lib/report.ts'
import { buildService, startService, stopService } from './lib/service.ts'
import { RUBRIC_FILE, seedWebWorld, type WebWorld } from './web-pages-seed.ts'

const TRAINEES = 200
const PAST_TRAINEES = 20
const SUBMITTED = 3
const DRAFT_EVERY = 5
/** A supervisors' office at its busiest, not a load test: unless BENCH_CONNECTIONS says otherwise. */
const CONNECTIONS = 8

type Key = 'health' | 'trainees' | 'scoring'
interface Route { key: Key; label: string; requests: RequestSpec[]; bytes?: number }
interface Run extends LoadResult { round: number; route: Key; serverCpuMsPerRequest: number }

/** User plus system CPU time of a whole process (every thread), in ms; the service runs apart from this one. */
const TICKS_PER_SEC = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SEC
}

async function get(origin: string, spec: RequestSpec): Promise<string> {
  const res = await fetch(origin + spec.path, { headers: spec.headers })
  const body = await res.text()
  if (res.status !== 200) throw new BenchFailure(`GET ${spec.path} answered ${res.status} instead of 200:\n${body.slice(0, 2000)}`)
  return body
}

const count = (text: string, needle: string) => text.split(needle).length - 1

/** Every page answers 200 with what it should show, before any load: a fast wrong page measures nothing. */
async function verify(origin: string, routes: Record<Key, Route>, world: WebWorld): Promise<void> {
  const list = await get(origin, routes.trainees.requests[0]!)
  const missing = world.trainees.filter((t) => !list.includes(t.name))
  const problems = [
    missing.length > 0 ? `${missing.length} of ${TRAINEES} trainees missing (e.g. ${missing[0]!.name})` : '',
    list.includes(`${TRAINEES} trainees assigned to you`) ? '' : `no caption "${TRAINEES} trainees assigned to you"`,
    world.pastTrainees.some((t) => list.includes(t.name)) ? 'a trainee whose assignment ended is listed' : '',
    count(list, '/observations/new?trainee=') === TRAINEES ? '' : `${count(list, '/observations/new?trainee=')} "New observation" links`,
    count(list, '>Draft of ') === world.drafts ? '' : `${count(list, '>Draft of ')} draft links for ${world.drafts} drafts`
  ].filter(Boolean)
  if (problems.length > 0) throw new BenchFailure(`GET /my/trainees does not show the supervisor's trainees: ${problems.join('; ')}`)
  routes.trainees.bytes = Buffer.byteLength(list)
  let bytes = 0
  for (const [i, spec] of routes.scoring.requests.entries()) {
    const form = await get(origin, spec)
    const name = world.trainees[i]!.name
    const absent = world.criterionKeys.filter((k) => !form.includes(`<fieldset id="level.${k}"`))
    if (!form.includes(`New observation of ${name}`) || absent.length > 0 || count(form, '<fieldset') !== world.criterionKeys.length + 1) {
      throw new BenchFailure(`GET ${spec.path} is not the scoring form of ${name} on ${RUBRIC_FILE} (criteria missing: ${absent.join(', ') || 'none'})`)
    }
    bytes += Buffer.byteLength(form)
  }
  routes.scoring.bytes = bytes / routes.scoring.requests.length
  routes.health.bytes = Buffer.byteLength(await get(origin, routes.health.requests[0]!))
}

function assertClean(route: Route, result: LoadResult, phase: string): void {
  if (result.non2xx === 0 && result.errors === 0) return
  const failure = result.firstFailure ? `\nfirst failing answer (${result.firstFailure.status}): ${result.firstFailure.body}` : ''
  throw new BenchFailure(
    `${route.label} during ${phase}: ${result.non2xx} non-2xx responses, ${result.errors} connection errors ` +
    `(${result.timeouts} timeouts); status codes ${JSON.stringify(result.statusCodes)}. Nothing measured this way means anything.${failure}`
  )
}

async function measure(origin: string, pid: number, route: Route, options: BenchOptions, connections: number, round: number): Promise<Run> {
  const job = { origin, requests: route.requests, connections }
  assertClean(route, await runLoad({ ...job, durationSec: options.warmupSec }), `warm-up (round ${round})`)
  const cpu = processCpuMs(pid)
  const result = await runLoad({ ...job, durationSec: options.durationSec })
  const used = processCpuMs(pid) - cpu
  assertClean(route, result, `measurement (round ${round})`)
  return { ...result, round, route: route.key, serverCpuMsPerRequest: used / result.responses }
}

const best = (runs: Run[], key: Key) => runs.filter((r) => r.route === key).reduce((a, b) => (b.rps > a.rps ? b : a))

const benchmark: Benchmark = {
  name: 'web-pages',
  title: `Supervisor pages rendered server-side (my trainees, scoring form) with ${TRAINEES} assigned trainees vs GET /health/live`,
  async run(options) {
    const connections = process.env.BENCH_CONNECTIONS ? options.connections : CONNECTIONS
    const buildSec = buildService()
    const bench = await freshBenchDatabase(options.serverUrl, options.poolMax)
    const seedStart = Date.now()
    const world = await seedWebWorld(bench.database, bench.url, { trainees: TRAINEES, pastTrainees: PAST_TRAINEES, submitted: SUBMITTED, draftEvery: DRAFT_EVERY })
    const seedSec = (Date.now() - seedStart) / 1000
    const service = await startService({ entry: 'built', databaseUrl: bench.url, poolMax: options.poolMax })
    const pid = service.child.pid!
    const cookie = { cookie: `rapport_session=${world.sessionToken}` }
    const routes: Record<Key, Route> = {
      health: { key: 'health', label: 'baseline GET /health/live', requests: [{ method: 'GET', path: '/health/live' }] },
      trainees: { key: 'trainees', label: `GET /my/trainees (${TRAINEES} trainees)`, requests: [{ method: 'GET', path: '/my/trainees', headers: cookie }] },
      scoring: {
        key: 'scoring', label: `GET /observations/new?trainee= (${world.criterionKeys.length} criteria, ${TRAINEES} trainees in turn)`,
        requests: world.trainees.map((t) => ({ method: 'GET', path: `/observations/new?trainee=${t.id}`, headers: cookie }))
      }
    }
    await verify(service.origin, routes, world)
    const env = machine()
    process.stdout.write(
      `Postgres ${bench.serverVersion}, database ${bench.name}; ${env.cpus} CPUs, load average ${env.loadAverage1m.toFixed(2)} (5 min ${env.loadAverage5m.toFixed(2)}); ` +
      `built dist/ in ${buildSec.toFixed(1)} s; seeded ${TRAINEES} current + ${PAST_TRAINEES} past trainees, ${world.observations} submitted observations, ` +
      `${world.drafts} drafts in ${seedSec.toFixed(1)} s; ${service.command}, pool ${options.poolMax}; ${connections} connections, ` +
      `warm-up ${options.warmupSec} s + ${options.durationSec} s measured per route, ${options.rounds} round(s) alternating the order\n`
    )

    const order = [routes.health, routes.trainees, routes.scoring]
    const runs: Run[] = []
    for (let round = 1; round <= options.rounds; round++) {
      for (const route of round % 2 === 1 ? order : [...order].reverse()) {
        const run = await measure(service.origin, pid, route, options, connections, round)
        runs.push(run)
        process.stdout.write(`  round ${round} ${route.key}: ${run.rps.toFixed(0)} req/s, p50 ${run.latencyMs.p50.toFixed(1)} ms, p99 ${run.latencyMs.p99.toFixed(1)} ms\n`)
      }
    }
    await stopService(service)

    const kept = { health: best(runs, 'health'), trainees: best(runs, 'trainees'), scoring: best(runs, 'scoring') }
    process.stdout.write('\nBest round of each route (by req/s; server CPU = the service process, every thread):\n')
    printTable(
      ['route', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'p99 / baseline', 'KB/page', 'server CPU ms/req'],
      order.map((route) => {
        const r = kept[route.key]
        return [route.label, r.rps, r.latencyMs.p50, r.latencyMs.p90, r.latencyMs.p99, r.latencyMs.p99 / kept.health.latencyMs.p99, (route.bytes ?? 0) / 1024, r.serverCpuMsPerRequest]
      })
    )
    const targets = [
      target(`p99 ms GET /my/trainees, ${TRAINEES} trainees`, kept.trainees.latencyMs.p99, '<=', 50),
      target('p99 ms GET /observations/new (scoring form)', kept.scoring.latencyMs.p99, '<=', 50)
    ]
    process.stdout.write('\n')
    printTargets(targets)
    await bench.drop()
    return {
      valid: true,
      targets,
      data: {
        machine: env, postgres: bench.serverVersion, options: { ...options, serverUrl: undefined, connections },
        world: { trainees: TRAINEES, pastTrainees: PAST_TRAINEES, observations: world.observations, drafts: world.drafts, criteria: world.criterionKeys.length, rubric: RUBRIC_FILE },
        pageBytes: Object.fromEntries(order.map((r) => [r.key, r.bytes])), runs, kept
      }
    }
  }
}

export default benchmark
