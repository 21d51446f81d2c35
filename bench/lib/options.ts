/**
 * Settings of a benchmark run, read from the environment (bench code is outside the app, so it
 * reads process.env itself). Every number is checked, so a typo fails before any load is sent.
 */
export interface BenchOptions {
  /** The Postgres server; each benchmark creates (and drops) its own database on it. */
  serverUrl: string
  /** Seconds of measured load per route and round (BENCH_DURATION). */
  durationSec: number
  /** Seconds of unmeasured load right before each measurement (BENCH_WARMUP). */
  warmupSec: number
  /** Concurrent HTTP connections (BENCH_CONNECTIONS). */
  connections: number
  /** Postgres pool size, the same for the real app and the baseline (BENCH_POOL_MAX, else DB_POOL_MAX). */
  poolMax: number
  /** Measurements per route; the order of routes alternates between rounds (BENCH_ROUNDS). */
  rounds: number
  /** BENCH_ROUNDS was set: a benchmark's own default rounds do not apply. */
  roundsGiven: boolean
  /** Also write the results as JSON to bench/results/ (BENCH_JSON=1 or --json). */
  json: boolean
  /** A missed target makes the run exit non-zero (BENCH_STRICT=1); by default only errors do. */
  strict: boolean
}

export const DEFAULT_SERVER_URL = 'postgres://postgres@127.0.0.1:5432/postgres'

export class BenchSetupError extends Error {}

type Env = Record<string, string | undefined>

function positiveInt(env: Env, names: string[], fallback: number, max: number): number {
  for (const name of names) {
    const raw = env[name]
    if (raw === undefined || raw === '') continue
    const value = Number(raw)
    if (!Number.isInteger(value) || value < 1 || value > max) {
      throw new BenchSetupError(`${name} must be a whole number from 1 to ${max}, got "${raw}".`)
    }
    return value
  }
  return fallback
}

const flag = (raw: string | undefined) => raw !== undefined && ['1', 'true', 'yes'].includes(raw.toLowerCase())

export function readOptions(env: Env = process.env, argv: string[] = []): BenchOptions {
  return {
    serverUrl: env.BENCH_DATABASE_URL || env.DATABASE_URL || DEFAULT_SERVER_URL,
    durationSec: positiveInt(env, ['BENCH_DURATION'], 10, 600),
    warmupSec: positiveInt(env, ['BENCH_WARMUP'], 3, 120),
    connections: positiveInt(env, ['BENCH_CONNECTIONS'], 32, 1000),
    poolMax: positiveInt(env, ['BENCH_POOL_MAX', 'DB_POOL_MAX'], 10, 200),
    rounds: positiveInt(env, ['BENCH_ROUNDS'], 2, 10),
    roundsGiven: (env.BENCH_ROUNDS ?? '') !== '',
    json: flag(env.BENCH_JSON) || argv.includes('--json'),
    strict: flag(env.BENCH_STRICT) || argv.includes('--strict')
  }
}

/**
 * The service's settings for every benchmark: one key (or one session, or one address) sends far
 * more than any real caller, so the rate limits are raised out of reach. They stay in place, so
 * every request is still counted and the cost of counting is measured.
 */
export const BENCH_RATE_LIMITS = { RATE_LIMIT_PER_MINUTE: '1000000', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000' }
