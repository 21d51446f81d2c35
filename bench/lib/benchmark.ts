import type { BenchOptions } from './options.ts'

/** The measurement cannot be trusted (a route answered errors): reported without a stack trace. */
export class BenchFailure extends Error {}

/** A target compares a measured ratio to a limit: PASS or MISS, never a test assertion. */
export interface Target {
  label: string
  value: number
  op: '>=' | '<='
  limit: number
  pass: boolean
}

export interface BenchOutcome {
  /** False when the measurement itself is broken (non-2xx answers, connection errors). */
  valid: boolean
  targets: Target[]
  /** Everything measured, written as JSON when asked. */
  data: Record<string, unknown>
}

export interface Benchmark {
  /** What is typed on the command line: `npm run bench -- <name>`. */
  name: string
  title: string
  /** Rounds when BENCH_ROUNDS is not set, where the common default does not suit the figure. */
  defaultRounds?: number
  run(options: BenchOptions): Promise<BenchOutcome>
}

export function target(label: string, value: number, op: Target['op'], limit: number): Target {
  const pass = Number.isFinite(value) && (op === '>=' ? value >= limit : value <= limit)
  return { label, value, op, limit, pass }
}
