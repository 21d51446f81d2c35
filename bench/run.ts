/**
 * `npm run bench` runs every benchmark; `npm run bench -- observations` runs the named ones.
 * Each benchmark measures the real code next to a baseline in the same run and prints ratios
 * against targets (PASS/MISS). Settings come from the environment: see bench/README.md.
 * Exit code: 0 when every benchmark measured cleanly, 1 when one could not run or saw errors
 * (non-2xx answers), 2 for bad usage; with BENCH_STRICT=1 a missed target also exits 1.
 */
import { BenchFailure, type Benchmark, type BenchOutcome } from './lib/benchmark.ts'
import { runCleanups } from './lib/cleanup.ts'
import { BenchSetupError, readOptions } from './lib/options.ts'
import { writeResult } from './lib/report.ts'

/** Loaded only when selected, so one benchmark's imports never slow another's run. */
const BENCHMARKS: Record<string, () => Promise<{ default: Benchmark }>> = {
  observations: () => import('./observations-submit.ts'),
  'cohort-csv': () => import('./cohort-csv.ts'),
  'report-render': () => import('./report-render.ts'),
  eligibility: () => import('./eligibility.ts'),
  'web-pages': () => import('./web-pages.ts'),
  overload: () => import('./overload.ts'),
  'overload-render': () => import('./overload-render.ts'),
  provisioning: () => import('./provisioning.ts'),
  events: () => import('./events.ts')
}

const USAGE = `usage: npm run bench -- [--json] [--strict] [${Object.keys(BENCHMARKS).join(' | ')} ...]
  BENCH_DURATION (s, 10)  BENCH_WARMUP (s, 3)  BENCH_CONNECTIONS (32)  BENCH_ROUNDS (2)
  BENCH_POOL_MAX or DB_POOL_MAX (10)  BENCH_DATABASE_URL or DATABASE_URL (postgres://postgres@127.0.0.1:5432/postgres)
`

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE)
    return 0
  }
  const names = argv.filter((a) => !a.startsWith('--'))
  const unknown = names.filter((n) => !(n in BENCHMARKS))
  if (unknown.length > 0) {
    process.stderr.write(`unknown benchmark: ${unknown.join(', ')}\n${USAGE}`)
    return 2
  }
  const options = readOptions(process.env, argv)
  let failed = false
  let missed = false
  for (const name of names.length > 0 ? names : Object.keys(BENCHMARKS)) {
    const { default: benchmark } = await BENCHMARKS[name]!()
    process.stdout.write(`\n== ${benchmark.name}: ${benchmark.title}\n`)
    let outcome: BenchOutcome
    try {
      outcome = await benchmark.run(benchmark.defaultRounds !== undefined && !options.roundsGiven ? { ...options, rounds: benchmark.defaultRounds } : options)
    } catch (err) {
      await runCleanups()
      if (err instanceof BenchSetupError) throw err
      process.stderr.write(`\n${benchmark.name} FAILED: ${err instanceof Error ? (err instanceof BenchFailure ? err.message : err.stack) : String(err)}\n`)
      failed = true
      continue
    }
    failed ||= !outcome.valid
    missed ||= outcome.targets.some((t) => !t.pass)
    if (options.json) {
      const file = await writeResult(benchmark.name, { benchmark: benchmark.name, at: new Date().toISOString(), ...outcome })
      process.stdout.write(`results written to ${file}\n`)
    }
  }
  return failed || (options.strict && missed) ? 1 : 0
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping, dropping the benchmark database\n`)
    void runCleanups().finally(() => process.exit(130))
  })
}

main(process.argv.slice(2)).then(
  async (code) => {
    await runCleanups()
    process.exit(code)
  },
  async (err: unknown) => {
    await runCleanups()
    process.stderr.write(`${err instanceof BenchSetupError ? err.message : (err as Error).stack ?? String(err)}\n`)
    process.exit(1)
  }
)
