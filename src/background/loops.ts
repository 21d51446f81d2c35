import { setMaxListeners } from 'node:events'
import type { FastifyBaseLogger } from 'fastify'

/**
 * What a loop's run says: `'more'` when it stopped at a batch bound with work left (run again at
 * once), anything else when it is done for now (run again after its interval, or when nudged).
 */
export type LoopResult = 'more' | void

export interface LoopOptions {
  /** Pause between runs while there is nothing to do. */
  intervalMs: number
  /**
   * A nudge within this long of the last run's start waits until it has passed: a loop that may
   * trail by this much (eligibility, mail notices) then handles a burst of work in one batch
   * instead of one run per commit. A full batch (`'more'`) still runs again at once.
   */
  minGapMs?: number
}

/**
 * The service's background work (event relay, feed consumers, webhook and mail delivery,
 * schedules), each a loop that runs one at a time per instance: a run never overlaps the previous
 * one. Several instances run the same loops; each loop's SQL makes their work disjoint (advisory
 * locks, FOR UPDATE SKIP LOCKED, unique claims), never this module.
 */
export interface Background {
  /** False on an API-only instance (DISPATCHER_ENABLED=false): loops are registered but never run. */
  readonly enabled: boolean
  register(name: string, options: LoopOptions, run: (signal: AbortSignal) => Promise<LoopResult>): void
  /** Runs the named loop soon, without waiting for its interval (after a commit that gave it work). */
  nudge(name: string): void
  /** Nudges every loop whose name starts with `prefix`. */
  nudgeAll(prefix: string): void
  start(): void
  /** Aborts the signal runs get, then waits for the runs in progress to end. */
  stop(): Promise<void>
}

/** Consecutive failures back a loop off, doubling from its interval up to this, so an outage is not hammered or logged 10 times a second. */
const MAX_BACKOFF_MS = 30_000

interface Loop {
  name: string
  options: LoopOptions
  run: (signal: AbortSignal) => Promise<LoopResult>
  timer?: NodeJS.Timeout
  running?: Promise<void>
  nudged: boolean
  failures: number
  startedAt: number
}

export function createBackground(options: { enabled: boolean; log: FastifyBaseLogger }): Background {
  const loops = new Map<string, Loop>()
  const abort = new AbortController()
  // Every loop and every webhook send in flight (up to WEBHOOK_CONCURRENCY) listens for shutdown,
  // each removing its listener when done: more than Node's default of 10 is no leak.
  setMaxListeners(0, abort.signal)
  let started = false

  const schedule = (loop: Loop, delayMs: number) => {
    if (abort.signal.aborted) return
    clearTimeout(loop.timer)
    loop.timer = setTimeout(() => tick(loop), delayMs)
    // A pending run never keeps the process alive: shutdown is onClose's business.
    loop.timer.unref()
  }

  const tick = (loop: Loop) => {
    if (loop.running || abort.signal.aborted) return
    loop.nudged = false
    loop.startedAt = Date.now()
    loop.running = loop.run(abort.signal).then(
      (result) => {
        loop.failures = 0
        return result === 'more' ? 0 : loop.nudged ? gapLeft(loop) : loop.options.intervalMs
      },
      (err: unknown) => {
        loop.failures++
        // The first failure, and every tenth of a run of them, is logged; the rest only back off.
        if (!abort.signal.aborted && (loop.failures === 1 || loop.failures % 10 === 0)) {
          options.log.error({ err, loop: loop.name, failures: loop.failures }, `background ${loop.name} failed`)
        }
        return Math.min(MAX_BACKOFF_MS, loop.options.intervalMs * 2 ** Math.min(loop.failures, 16))
      }
    ).then((delay) => {
      loop.running = undefined
      schedule(loop, delay)
    })
  }

  const gapLeft = (loop: Loop) => Math.max(0, loop.startedAt + (loop.options.minGapMs ?? 0) - Date.now())

  const nudge = (loop: Loop) => {
    if (!started) return
    if (loop.running) loop.nudged = true
    else if (loop.failures === 0) schedule(loop, gapLeft(loop))
  }

  return {
    enabled: options.enabled,
    register(name, loopOptions, run) {
      if (loops.has(name)) throw new Error(`background loop ${name} registered twice`)
      const loop: Loop = { name, options: loopOptions, run, nudged: false, failures: 0, startedAt: 0 }
      loops.set(name, loop)
      if (started) schedule(loop, 0)
    },
    nudge(name) {
      const loop = loops.get(name)
      if (loop) nudge(loop)
    },
    nudgeAll(prefix) {
      for (const loop of loops.values()) if (loop.name.startsWith(prefix)) nudge(loop)
    },
    start() {
      if (!options.enabled || started) return
      started = true
      for (const loop of loops.values()) schedule(loop, 0)
    },
    async stop() {
      abort.abort()
      for (const loop of loops.values()) clearTimeout(loop.timer)
      await Promise.all([...loops.values()].map((loop) => loop.running))
    }
  }
}
