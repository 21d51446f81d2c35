import { PassThrough, type Readable } from 'node:stream'
import { problem } from '../errors.ts'
import type { RenderOutcome } from '../lib/metrics.ts'
import { laneOf, LaneQueues, type Lane } from './render-lanes.ts'
import { defaultPoolSize, spawnWorker, type WorkerSlot } from './render-workers.ts'
import type { RenderJob } from './renderers.ts'

export { defaultPoolSize } from './render-workers.ts'
export { LANES, type Lane } from './render-lanes.ts'

/**
 * Renders PDFs in worker threads so layout never blocks the event loop, and never for nobody. At
 * most `size` documents render at once (one per worker); further jobs wait in their lane's bounded
 * queue (render-lanes.ts). A job whose stream is destroyed (its client left) is dropped if it has
 * not started, and its worker is terminated if it has: pdfkit lays a document out in one
 * synchronous run, so a worker cannot be asked to stop, only stopped. A job that runs past
 * `timeoutMs`, or whose document outgrows the worker's heap, fails alone; its worker is replaced.
 * Workers start on first use and are kept (each keeps its parsed fonts) until idle for `idleMs`.
 */
export interface RenderPool {
  /**
   * A stream of the PDF's bytes, flowing as the worker produces them. Throws the problem
   * `render-queue-full` when the job's lane is full. Destroy the stream to cancel the job.
   */
  render(source: RenderSource): Readable
  /** Starts every worker now (module loading and font parsing take a fraction of a second built, a second or two under tsx). */
  warm(): void
  /** Worker threads alive now (they start on demand and exit when idle). */
  readonly running: number
  /** Jobs holding a worker now (reading their data or rendering). */
  readonly busy: number
  /** Jobs a worker is laying out now. */
  readonly rendering: number
  /** Jobs waiting in a lane. */
  depth(lane: Lane): number
  close(): Promise<void>
  readonly size: number
}

/**
 * A job, or its kind and the function that reads its data. The function runs only once a worker
 * is free for the job, so nothing is read for a job dropped from its queue, and a lane's bound
 * holds no data in memory.
 */
export type RenderSource = RenderJob | { kind: RenderJob['kind']; prepare: () => Promise<RenderJob> }

export interface RenderPoolOptions {
  /** Workers at most, so documents at once; further jobs queue. */
  size?: number
  /**
   * A worker idle this long exits (it costs some 20-40 MB); the next report starts one again in a
   * fraction of a second. Reports come in bursts (a weekly pull), so the memory is not kept for them.
   */
  idleMs?: number
  /** Jobs waiting per lane at most. */
  queueMax?: number
  /** One document renders this long at most, from the moment its worker begins it. */
  timeoutMs?: number
  /** Each worker's old-generation heap (`resourceLimits.maxOldGenerationSizeMb`). */
  heapMb?: number
  /** Told once what became of each job, with the seconds a worker spent on it (the metrics). */
  onOutcome?: (lane: Lane, outcome: RenderOutcome, seconds: number) => void
}

interface Job {
  id: number
  lane: Lane
  source: RenderSource
  out: PassThrough
  state: 'queued' | 'preparing' | 'rendering' | 'done'
  slot?: WorkerSlot<Job>
  timer?: NodeJS.Timeout
  /** performance.now() when a worker received it. */
  renderedFrom?: number
}

export function createRenderPool({
  size = defaultPoolSize(), idleMs = 60_000, queueMax = 16, timeoutMs = 60_000, heapMb = 256, onOutcome = () => {}
}: RenderPoolOptions = {}): RenderPool {
  const slots: Array<WorkerSlot<Job>> = []
  /** Every job not yet done, wherever it is (for close). */
  const active = new Set<Job>()
  const queues = new LaneQueues<Job>(queueMax, size)
  const busy: Record<Lane, number> = { small: 0, large: 0 }
  let nextId = 0
  let closed = false

  function spawn(): WorkerSlot<Job> {
    const slot: WorkerSlot<Job> = spawnWorker<Job>({
      heapMb,
      idleMs,
      onStarted: (jobId) => { if (slot.job?.id === jobId) limit(slot.job, slot) },
      onChunk: (jobId, chunk) => { if (slot.job?.id === jobId) slot.job.out.write(chunk) },
      onDone: (jobId, failure) => {
        const job = slot.job
        if (job?.id !== jobId) return
        slot.job = undefined
        finish(job, failure ? 'failed' : 'completed', failure ? new Error(`PDF rendering failed: ${failure}`) : undefined)
        if (!slot.job) slot.idle()
      },
      onLost: (err) => {
        forget(slot)
        const job = slot.job
        if (!job) return dispatch()
        const outOfMemory = (err as { code?: string } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY'
        finish(job, 'failed', outOfMemory
          ? problem('render-timeout', 'The report needs more memory than a render worker has (RENDER_WORKER_HEAP_MB); it was stopped.')
          : err ?? new Error('PDF render worker exited'))
      },
      onIdle: () => forget(slot)
    })
    slots.push(slot)
    return slot
  }

  function forget(slot: WorkerSlot<Job>): void {
    const i = slots.indexOf(slot)
    if (i >= 0) slots.splice(i, 1)
  }

  /** Stops a worker in the middle of a document; the next job starts a fresh one. */
  function discard(slot: WorkerSlot<Job>): void {
    forget(slot)
    slot.job = undefined
    slot.terminate()
  }

  function finish(job: Job, outcome: RenderOutcome | undefined, error?: Error): void {
    if (job.state === 'done') return
    const was = job.state
    job.state = 'done'
    active.delete(job)
    clearTimeout(job.timer)
    if (was === 'queued') queues.remove(job.lane, job)
    else busy[job.lane]--
    if (outcome) onOutcome(job.lane, outcome, job.renderedFrom === undefined ? 0 : (performance.now() - job.renderedFrom) / 1000)
    if (error) job.out.destroy(error)
    else if (outcome === 'completed') job.out.end()
    dispatch()
  }

  /** The consumer went away (its client left): no more work for this job. */
  function abandon(job: Job): void {
    if (job.state === 'rendering' && job.slot) {
      discard(job.slot)
      finish(job, 'cancelled')
    } else if (job.state !== 'done') {
      // Still queued, or its data still being read: no worker has seen it.
      finish(job, 'dropped')
    }
  }

  async function start(job: Job): Promise<void> {
    job.state = 'preparing'
    busy[job.lane]++
    let ready: RenderJob
    try {
      ready = 'prepare' in job.source ? await job.source.prepare() : job.source
    } catch (err) {
      // The request's own answer (not found, too large...): not a render, so no outcome is counted.
      return finish(job, undefined, err instanceof Error ? err : new Error(String(err)))
    }
    if (job.state !== 'preparing' || closed) return
    const slot = slots.find((s) => !s.job) ?? spawn()
    job.state = 'rendering'
    job.slot = slot
    slot.job = job
    job.renderedFrom = performance.now()
    slot.post(job.id, ready)
  }

  function limit(job: Job, slot: WorkerSlot<Job>): void {
    job.timer = setTimeout(() => {
      discard(slot)
      finish(job, 'timed_out', problem('render-timeout', `The report did not render within ${timeoutMs} ms (RENDER_TIMEOUT_MS); it was stopped.`))
    }, timeoutMs)
  }

  function dispatch(): void {
    for (let next = queues.next(busy); next && !closed; next = queues.next(busy)) void start(next.item)
  }

  return {
    size,
    get running() { return slots.length },
    get busy() { return busy.small + busy.large },
    get rendering() { return slots.filter((s) => s.job).length },
    depth: (lane) => queues.depth(lane),
    render(source) {
      if (closed) throw new Error('render pool is closed')
      const lane = laneOf(source.kind)
      const job: Job = { id: ++nextId, lane, source, out: new PassThrough(), state: 'queued' }
      if (!queues.push(lane, job)) {
        onOutcome(lane, 'refused', 0)
        throw problem('render-queue-full', `${queueMax} ${lane} reports already wait to be rendered (RENDER_QUEUE_MAX); try again shortly.`)
      }
      active.add(job)
      job.out.once('close', () => abandon(job))
      // A consumer that already left has no error listener; its job's failure must not crash the process.
      job.out.on('error', () => {})
      dispatch()
      return job.out
    },
    warm() {
      while (!closed && slots.length < size) spawn().idle()
    },
    async close() {
      closed = true
      const stopped = new Error('render pool closed')
      queues.drain()
      for (const job of active) {
        job.state = 'done'
        clearTimeout(job.timer)
        job.out.destroy(stopped)
      }
      active.clear()
      await Promise.all(slots.splice(0).map((s) => s.terminate()))
    }
  }
}
