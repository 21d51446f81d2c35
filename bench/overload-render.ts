import { get } from 'node:http'
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { BenchFailure, target, type Benchmark } from './lib/benchmark.ts'
import { freshBenchDatabase } from './lib/database.ts'
import { machine, printTable, printTargets } from './lib/report.ts'
import { buildService, procMb, startService, stopService } from './lib/service.ts'
import { summarize } from './lib/stats.ts'
import { seedExportCohort } from './cohort-csv-seed.ts'
import { seedReportWorld } from './report-render-seed.ts'

/**
 * A one-observation feedback report while 20 cohort PDFs of 4,000 trainees are requested and
 * abandoned (each client hangs up after 1 s), against the same report on the idle service in the
 * same run. The service is the built one (`node dist/server.js`) on the machine's Postgres, at its
 * default render settings.
 */
const TRAINEES = 4000
const ABANDONED = 20
const HANG_UP_MS = 1000
const WAVES = 3
/** Enough for a realistic read per trainee; the PDF has a line per trainee whatever the count. */
const OBSERVATIONS_PER_TRAINEE = 3
const IDLE_SAMPLES = 20

/** CPU seconds (every thread) of a process so far, from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** One download to its end; rejects on a non-200 answer. */
function fetchPdf(url: string, key: string): Promise<number> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    get(url, { headers: { authorization: `Bearer ${key}` } }, (res) => {
      res.resume()
      res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - started) : reject(new BenchFailure(`${url} answered ${res.statusCode}`))))
    }).on('error', reject)
  })
}

/** Requests a cohort PDF and hangs up after `ms`; resolves with the status if an answer came first. */
function abandon(url: string, key: string, ms: number): Promise<number | 'abandoned'> {
  return new Promise((resolve) => {
    const req = get(url, { headers: { authorization: `Bearer ${key}` } }, (res) => {
      res.resume()
      if (res.statusCode !== 200) resolve(res.statusCode ?? 0)
    })
    req.on('error', () => resolve('abandoned'))
    setTimeout(() => { req.destroy(); resolve('abandoned') }, ms)
  })
}

const benchmark: Benchmark = {
  name: 'overload-render',
  title: 'a feedback report while 20 cohort PDFs (4,000 trainees) are requested and abandoned',
  async run(options) {
    buildService()
    const bench = await freshBenchDatabase(options.serverUrl, options.poolMax)
    try {
      const cohort = await seedExportCohort(bench.database.db, TRAINEES, OBSERVATIONS_PER_TRAINEE)
      const report = await seedReportWorld(bench.database, bench.url, 0)
      const env = machine()
      process.stdout.write(`load average ${env.loadAverage1m.toFixed(2)} (1 min) on ${env.cpus} cores\n`)
      const service = await startService({ entry: 'built', databaseUrl: bench.url, poolMax: options.poolMax })
      const pid = service.child.pid!
      const feedbackUrl = `${service.origin}/v1/observations/${report.observationId}/report.pdf`
      const cohortUrl = `${service.origin}/v1/cohorts/${cohort.cohortId}/report.pdf`
      try {
        for (let i = 0; i < 3; i++) await fetchPdf(feedbackUrl, report.supervisorKey) // workers started, caches warm
        const idle: number[] = []
        for (let i = 0; i < IDLE_SAMPLES; i++) idle.push(await fetchPdf(feedbackUrl, report.supervisorKey))
        const loaded: number[] = []
        const statuses = new Map<string, number>()
        let waveCpu = 0
        for (let wave = 0; wave < WAVES; wave++) {
          const cpuBefore = cpuSeconds(pid)
          const cohorts = Promise.all(Array.from({ length: ABANDONED }, () => abandon(cohortUrl, cohort.adminKey, HANG_UP_MS)))
          const until = performance.now() + HANG_UP_MS + 2000
          while (performance.now() < until) loaded.push(await fetchPdf(feedbackUrl, report.supervisorKey))
          for (const s of await cohorts) statuses.set(String(s), (statuses.get(String(s)) ?? 0) + 1)
          await sleep(1000)
          // The service's CPU over the wave, every thread: the cohort requests' reads and renders plus the feedback reports.
          waveCpu += cpuSeconds(pid) - cpuBefore
        }
        const peakMb = procMb(pid, 'VmHWM')
        const i = summarize(idle)
        const l = summarize(loaded)
        printTable(['feedback report', 'n', 'p50 ms', 'p90 ms', 'max ms'], [
          ['idle service', idle.length, i.p50.toFixed(1), i.p90.toFixed(1), i.max.toFixed(1)],
          [`${ABANDONED} cohort PDFs abandoned`, loaded.length, l.p50.toFixed(1), l.p90.toFixed(1), l.max.toFixed(1)]
        ])
        process.stdout.write(`cohort requests per wave: ${[...statuses].map(([s, n]) => `${s} ${(n / WAVES).toFixed(1)}`).join(', ')}\n`)
        process.stdout.write(`service CPU per wave (every thread, feedback reports included): ${(waveCpu / WAVES).toFixed(2)} s; peak RSS ${peakMb.toFixed(0)} MB\n`)
        const targets = [
          target('feedback p50 loaded / idle', l.p50 / i.p50, '<=', 3),
          target('peak RSS of the service (MB)', peakMb, '<=', 600)
        ]
        printTargets(targets)
        return { valid: true, targets, data: { env, idle: i, loaded: l, statuses: Object.fromEntries(statuses), cpuPerWave: waveCpu / WAVES, peakMb } }
      } finally {
        await stopService(service)
      }
    } finally {
      await bench.drop()
    }
  }
}

export default benchmark
