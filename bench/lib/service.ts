import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { BenchFailure } from './benchmark.ts'
import { deferCleanup } from './cleanup.ts'
import { BENCH_RATE_LIMITS } from './options.ts'

/**
 * The service under test, started exactly as it is deployed: its own entry point in a process of
 * its own (no bench code in it, so its memory is its own), configured through its environment.
 */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/**
 * built: `node dist/server.js`, what `npm run start:prod` and the Docker image run (the side targets
 * are about). source: `node --import tsx src/server.ts`, what `npm start` runs.
 */
export type Entry = 'built' | 'source'
const ENTRY_ARGS: Record<Entry, string[]> = { built: ['dist/server.js'], source: ['--import', 'tsx', 'src/server.ts'] }

/**
 * The preloaded instrument (`loop-probe.mjs`) that measures the service's event-loop delay on
 * request over the IPC channel; nothing else in the process changes.
 */
export const LOOP_PROBE = './bench/lib/loop-probe.mjs'

export interface Service {
  child: ChildProcess
  /** e.g. http://127.0.0.1:40123, from the service's own "listening on" line. */
  origin: string
  /** How it was started, for the printout. */
  command: string
}

export interface ServiceOptions {
  entry: Entry
  databaseUrl: string
  poolMax: number
  /** Preload loop-probe.mjs and open an IPC channel for it. */
  loopProbe?: boolean
  /** More settings of the service's (e.g. MAX_IN_FLIGHT_REQUESTS), on top of the ones every benchmark gives it. */
  env?: Record<string, string>
}

/** Builds dist/ as deployment does (`npm run build`), so a measurement never runs a stale build; returns seconds taken. */
export function buildService(): number {
  const started = Date.now()
  try {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' })
  } catch {
    throw new BenchFailure('`npm run build` failed (its errors are above): the service as deployed cannot be measured')
  }
  return (Date.now() - started) / 1000
}

export function exited(child: ChildProcess, what: string): Promise<never> {
  return once(child, 'exit').then(([code]) => { throw new BenchFailure(`${what} exited (${code}) before listening`) })
}

/** Starts the service and resolves once it says it is listening; killed by the cleanups if still running. */
export async function startService({ entry, databaseUrl, poolMax, loopProbe = false, env: extra = {} }: ServiceOptions): Promise<Service> {
  const args = [...(loopProbe ? ['--import', LOOP_PROBE] : []), ...ENTRY_ARGS[entry]]
  const command = `node ${args.join(' ')}`
  const env = {
    PATH: process.env.PATH, DATABASE_URL: databaseUrl, DB_POOL_MAX: String(poolMax), HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', LOAD_RUBRICS_ON_START: 'false',
    ...BENCH_RATE_LIMITS, ...extra
  }
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit', ...(loopProbe ? ['ipc' as const] : [])] })
  deferCleanup(() => { if (child.exitCode === null && child.signalCode === null) child.kill() })
  let out = ''
  const listening = new Promise<string>((resolve) => {
    const onData = (text: string) => {
      out += text
      const origin = /listening on (http:\/\/[^\s,]+)/.exec(out)?.[1]
      if (!origin) return
      // Still drained (a full pipe would block the service), no longer kept.
      child.stdout!.off('data', onData).resume()
      resolve(origin)
    }
    child.stdout!.setEncoding('utf8').on('data', onData)
  })
  const origin = await Promise.race([listening, exited(child, `the ${entry} service (${command})`)])
  return { child, origin, command }
}

/** Stops the service the way an orchestrator does (SIGTERM: it drains and exits) and waits for it. */
export async function stopService({ child }: Pick<Service, 'child'>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exit = once(child, 'exit')
  child.kill('SIGTERM')
  await exit
}

/** CPU seconds (user and system, every thread) a process has used so far; NaN where there is no /proc. */
export function procCpuSec(pid: number | undefined): number {
  try {
    // Fields 14 and 15 of /proc/PID/stat, after the command name in parentheses (which may hold spaces).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
  } catch {
    return Number.NaN
  }
}
/** USER_HZ, the unit of /proc/PID/stat times: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS = 100

/** One figure (VmRSS, VmHWM = peak RSS) of a process, in MB; NaN where there is no /proc (not Linux) or the process has ended. */
export function procMb(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
    return kb === undefined ? Number.NaN : Number(kb) / 1024
  } catch {
    return Number.NaN
  }
}
