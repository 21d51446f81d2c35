import { hashApiKey } from '../src/modules/accounts/api-key.ts'
import { findPrincipalByKeyHash } from '../src/modules/accounts/auth-repository.ts'
import { getFeedbackReportData } from '../src/modules/reports/feedback-report-service.ts'
import { loadConfig } from '../src/config.ts'
import { defaultPoolSize } from '../src/reports/render-pool.ts'
import { BenchFailure, target, type Benchmark } from './lib/benchmark.ts'
import { deferCleanup } from './lib/cleanup.ts'
import { freshBenchDatabase } from './lib/database.ts'
import { runLoad, type RequestSpec } from './lib/load.ts'
import { machine, printTable, printTargets } from './lib/report.ts'
import { buildService, procMb, startService, stopService } from './lib/service.ts'
import { summarize, type LatencySummary } from './lib/stats.ts'
import { chromiumMissing, startChromium, timedLoop, type ChromiumPrinter } from './report-render-chromium.ts'
import { sampleMemory, type MemoryPeak } from './report-render-memory.ts'
import { assertClean } from './report-render-control.ts'
import { measureLoopDelay, type LoopPhase } from './report-render-loop.ts'
import { startBuiltPool } from './report-render-pool.ts'
import { seedReportWorld } from './report-render-seed.ts'

/** Observations before the reported one, so the trend shows eight sessions. */
const EARLIER_OBSERVATIONS = 7
const CONCURRENCY = [1, 4] as const

/**
 * pool: Rapport's render pool from the report's data, as Chromium is given it (the like-for-like
 * comparison the targets are about); route: the whole request (authentication, database reads, the
 * audit row, rendering, HTTP), what a client waits for; chromium: templating, setContent and pdf.
 */
type Side = 'pool' | 'route' | 'chromium'
const SIDE_LABEL: Record<Side, string> = {
  pool: 'Rapport render pool (pdfkit, worker threads), from the data',
  route: 'Rapport GET report.pdf (request, reads, audit, render)',
  chromium: 'Chromium setContent + pdf (playwright), from the data'
}
interface Run { round: number; side: Side; concurrency: number; renders: number; rendersPerSec: number; latencyMs: LatencySummary }

/** Pages of a PDF, counted from its page objects (enough to check both sides print alike). */
const pageCount = (pdf: Buffer) => (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length

const benchmark: Benchmark = {
  name: 'report-render',
  title: 'Observation feedback PDF (pdfkit in the worker pool, from the data and through the route) vs headless Chromium printing the same report',
  async run(options) {
    // The service as deployed: built first (never a stale dist/), then `node dist/server.js` with the
    // loop probe preloaded, configured like cohort-csv's. Its render workers start with the first report.
    const buildSec = buildService()
    const bench = await freshBenchDatabase(options.serverUrl, options.poolMax)
    const world = await seedReportWorld(bench.database, bench.url, EARLIER_OBSERVATIONS)
    const server = await startService({ entry: 'built', databaseUrl: bench.url, poolMax: options.poolMax, loopProbe: true })
    const startRssMb = procMb(server.child.pid, 'VmRSS')
    const report: RequestSpec = { method: 'GET', path: `/v1/observations/${world.observationId}/report.pdf`, headers: { authorization: `Bearer ${world.supervisorKey}` } }
    const res = await fetch(server.origin + report.path, { headers: report.headers })
    const pdfkitPdf = Buffer.from(await res.arrayBuffer())
    if (res.status !== 200 || pdfkitPdf.subarray(0, 5).toString('latin1') !== '%PDF-') {
      throw new BenchFailure(`${report.path} answered ${res.status}: ${pdfkitPdf.subarray(0, 1000).toString()}`)
    }
    // The Chromium page is fed the very object the route renders, read through the app's service as the same caller.
    const found = await findPrincipalByKeyHash(bench.database.db, hashApiKey(world.supervisorKey))
    const data = await getFeedbackReportData(bench.database.db, { principal: found!.principal, requestId: 'bench' }, world.observationId, new Date())

    const missing = chromiumMissing()
    let printer: ChromiumPrinter | undefined
    let closeChromium = async () => {}
    let chromiumProblem = missing
    if (!missing) {
      try {
        printer = await startChromium(data, Math.max(...CONCURRENCY))
        closeChromium = deferCleanup(() => printer?.close())
      } catch (err) {
        chromiumProblem = `Chromium did not start: ${(err as Error).message.split('\n')[0]}`
      }
    }
    const chromiumPdf = printer ? await printer.render(0) : undefined

    const env = machine()
    // RENDER_WORKERS and RENDER_IDLE_SECONDS are left unset, so the service uses its defaults.
    const renderWorkers = defaultPoolSize()
    const idleSeconds = loadConfig({}).RENDER_IDLE_SECONDS
    process.stdout.write(
      `Postgres ${bench.serverVersion}, database ${bench.name}; ${env.cpus} CPUs (${env.cpuModel}), load average ${env.loadAverage1m.toFixed(2)}; ` +
      `report of ${world.criteria} criteria (${world.evidenceChars} characters of evidence), trend over ${world.observations} observations\n` +
      `Rapport as deployed: ${server.command} (built in ${buildSec.toFixed(1)} s); up to ${renderWorkers} render worker(s) (the default), ` +
      `started by the first report, exiting after ${idleSeconds} s idle; warm-up ${options.warmupSec} s + ${options.durationSec} s measured per side and concurrency, ` +
      `${options.rounds} round(s) alternating the order\n` +
      `Render from the data: the built render pool (dist/reports/render-pool.js, ${renderWorkers} worker thread(s) at the service's priority) in this process, ` +
      `given the object the route renders, as Chromium is\n` +
      (printer ? `Chromium ${printer.version} (playwright-core, one warm browser, one page per concurrent render)\n`
        : `Chromium baseline NOT RUN: ${chromiumProblem}\n`)
    )

    // Memory once warm and idle (after a first render on each side), then peaks under load.
    const idleRss = { rapport: sampleMemory(() => [server.child.pid!]).stop(), chromium: printer && sampleMemory(() => printer!.pids()).stop() }
    const serverMemory = sampleMemory(() => [server.child.pid!])
    let chromiumPeak: MemoryPeak | undefined
    const runs: Run[] = []
    const pool = await startBuiltPool(data)
    const closePool = deferCleanup(() => pool.close())
    const poolPdf = await pool.render()
    if (poolPdf.subarray(0, 5).toString('latin1') !== '%PDF-' || pageCount(poolPdf) !== pageCount(pdfkitPdf)) {
      throw new BenchFailure(`the render pool's PDF (${poolPdf.length} bytes, ${pageCount(poolPdf)} pages) is not the route's (${pageCount(pdfkitPdf)} pages)`)
    }
    const measure: Record<Side, (c: number) => Promise<{ renders: number; latencies?: number[]; latencyMs?: LatencySummary; seconds: number }>> = {
      pool: async (c) => {
        await timedLoop(c, options.warmupSec, () => pool.render())
        const latencies = await timedLoop(c, options.durationSec, () => pool.render())
        return { renders: latencies.length, latencies, seconds: options.durationSec }
      },
      route: async (c) => {
        assertClean(await runLoad({ origin: server.origin, requests: [report], connections: c, durationSec: options.warmupSec }), `warm-up at concurrency ${c}`)
        const r = await runLoad({ origin: server.origin, requests: [report], connections: c, durationSec: options.durationSec })
        assertClean(r, `measurement at concurrency ${c}`)
        return { renders: r.responses, latencyMs: r.latencyMs, seconds: r.durationSec }
      },
      chromium: async (c) => {
        const memory = sampleMemory(() => printer!.pids())
        await timedLoop(c, options.warmupSec, (slot) => printer!.render(slot))
        const latencies = await timedLoop(c, options.durationSec, (slot) => printer!.render(slot))
        const peak = memory.stop()
        if (!chromiumPeak || peak.rssMb > chromiumPeak.rssMb) chromiumPeak = peak
        return { renders: latencies.length, latencies, seconds: options.durationSec }
      }
    }
    const sides: Side[] = printer ? ['pool', 'route', 'chromium'] : ['pool', 'route']
    for (let round = 1; round <= options.rounds; round++) {
      for (const side of round % 2 === 1 ? sides : [...sides].reverse()) {
        for (const c of CONCURRENCY) {
          const m = await measure[side](c)
          const run: Run = { round, side, concurrency: c, renders: m.renders, rendersPerSec: m.renders / m.seconds, latencyMs: m.latencyMs ?? summarize(m.latencies!) }
          runs.push(run)
          process.stdout.write(`  round ${round} ${side} concurrency ${c}: ${run.renders} renders, median ${run.latencyMs.p50.toFixed(1)} ms, p99 ${run.latencyMs.p99.toFixed(1)} ms\n`)
        }
      }
    }
    await closeChromium()
    await closePool()

    const loop: LoopPhase[] = await measureLoopDelay(server, report, options)
    const serverPeak = serverMemory.stop()
    const maxRssMb = procMb(server.child.pid, 'VmHWM')
    await stopService(server)

    const kept = (side: Side, c: number) => runs.filter((r) => r.side === side && r.concurrency === c)
      .reduce<Run | undefined>((a, b) => (!a || b.latencyMs.p50 < a.latencyMs.p50 ? b : a), undefined)
    process.stdout.write('\nRender time until the last byte, best round of each (by median):\n')
    printTable(['renderer', 'concurrency', 'renders', 'renders/s', 'median ms', 'p90 ms', 'p99 ms', 'max ms'], [
      ...sides.flatMap((side) => CONCURRENCY.map((c) => {
        const r = kept(side, c)!
        return [SIDE_LABEL[side], c, r.renders, r.rendersPerSec, r.latencyMs.p50, r.latencyMs.p90, r.latencyMs.p99, r.latencyMs.max]
      })),
      ...loop.filter((p) => p.reports).map((p) => ['Rapport GET report.pdf, during the health probe', p.inFlight, p.reports!.responses, p.reports!.rps,
        p.reports!.latencyMs.p50, p.reports!.latencyMs.p90, p.reports!.latencyMs.p99, p.reports!.latencyMs.max])
    ])
    process.stdout.write('\nServer responsiveness (GET /health/live from a client; the server\'s own event-loop delay, from the preloaded loop probe):\n')
    printTable(['reports in flight', 'health probes', 'health p50 ms', 'health p99 ms', 'health max ms', 'loop delay p50 ms', 'loop delay p99 ms', 'loop delay max ms'],
      loop.map((p) => [p.inFlight, p.health.count, p.health.latencyMs.p50, p.health.latencyMs.p99, p.health.latencyMs.max, p.delay.p50Ms, p.delay.p99Ms, p.delay.maxMs]))
    process.stdout.write('\nMemory and output (RSS at start: listening, no render worker yet; idle: after a first render, which starts one):\n')
    printTable(['process', 'processes', 'RSS at start MB', 'idle RSS MB', 'peak RSS MB', 'peak PSS MB', 'PDF KB', 'pages'], [
      ['Rapport server (main thread + render workers)', 1, startRssMb, idleRss.rapport.rssMb, maxRssMb, serverPeak.pssMb, pdfkitPdf.length / 1024, pageCount(pdfkitPdf)],
      ...(chromiumPeak && chromiumPdf ? [['Chromium (every process of the browser)', chromiumPeak.processes, Number.NaN, idleRss.chromium?.rssMb ?? Number.NaN,
        chromiumPeak.rssMb, chromiumPeak.pssMb, chromiumPdf.length / 1024, pageCount(chromiumPdf)] as Array<string | number>] : [])
    ])
    if (chromiumPeak) {
      // RSS sums count the pages Chromium's processes share once per process; PSS splits them.
      process.stdout.write(`peak PSS Rapport/Chromium: ${(serverPeak.pssMb / chromiumPeak.pssMb).toFixed(2)} (for reference; the target compares RSS)\n`)
    }

    const ratio = (side: Side, c: number) => printer ? kept('chromium', c)!.latencyMs.p50 / kept(side, c)!.latencyMs.p50 : Number.NaN
    const notRun = printer ? '' : ' (Chromium NOT RUN)'
    const underLoad = loop.find((p) => p.inFlight > 0)!
    const targets = [
      ...CONCURRENCY.map((c) => target(`median Chromium/Rapport render at concurrency ${c}${notRun}`, ratio('pool', c), '>=', 5)),
      target(`peak RSS Rapport/Chromium${notRun}`, chromiumPeak ? maxRssMb / chromiumPeak.rssMb : Number.NaN, '<=', 0.2),
      target(`health p99 ms with ${underLoad.inFlight} reports in flight`, underLoad.health.latencyMs.p99, '<=', 20)
    ]
    const endLoad = machine().loadAverage1m
    process.stdout.write(`\nload average at the end: ${endLoad.toFixed(2)} on ${env.cpus} CPUs (at the start: ${env.loadAverage1m.toFixed(2)})\n`)
    printTargets(targets)
    if (printer) {
      process.stdout.write(`whole request for reference (the route also authenticates, reads the database and writes the audit row, which Chromium is spared): ` +
        `median Chromium/route ${CONCURRENCY.map((c) => `${ratio('route', c).toFixed(2)} at concurrency ${c}`).join(', ')}\n`)
    }
    if (!printer) process.stdout.write(`\nThe Chromium baseline could not run: ${chromiumProblem}\n`)
    await bench.drop()
    return {
      valid: true,
      targets,
      data: {
        machine: { ...env, loadAverage1mAtEnd: endLoad }, postgres: bench.serverVersion, options: { ...options, serverUrl: undefined }, chromium: printer?.version ?? chromiumProblem,
        world: { ...world, supervisorKey: undefined }, runs, loop,
        service: { command: server.command, renderWorkers, idleSeconds, buildSec },
        memory: { idle: idleRss, server: { maxRssMb, sampled: serverPeak, startRssMb }, chromium: chromiumPeak },
        pdf: { pdfkit: { bytes: pdfkitPdf.length, pages: pageCount(pdfkitPdf) }, chromium: chromiumPdf && { bytes: chromiumPdf.length, pages: pageCount(chromiumPdf) } }
      }
    }
  }
}

export default benchmark
