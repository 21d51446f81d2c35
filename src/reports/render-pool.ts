import { availableParallelism } from 'node:os'
import { PassThrough, type Readable } from 'node:stream'
import { Worker } from 'node:worker_threads'
import type { RenderJob } from './renderers.ts'
import type { WorkerMessage } from './render-worker.ts'

/**
 * Renders PDFs in worker threads so layout never blocks the event loop. At most `size` documents
 * render at once (one per worker); further requests wait in a FIFO queue. Workers start on first
 * use and are kept (each keeps its parsed fonts), and they hold the process open only while busy.
 */
export interface RenderPool {
  /** A stream of the PDF's bytes, flowing as the worker produces them. */
  render(job: RenderJob): Readable
  /** Starts every worker now (module loading and font parsing take a fraction of a second built, a second or two under tsx). */
  warm(): void
  /** Workers running now (they start on demand and exit when idle). */
  readonly running: number
  close(): Promise<void>
  readonly size: number
}

interface Pending {
  jobId: number
  job: RenderJob
  out: PassThrough
}

interface Slot {
  worker: Worker
  current: Pending | undefined
  /** Ends the worker once it has stayed idle this long; cleared when it gets a job. */
  idleTimer: NodeJS.Timeout | undefined
}

export interface RenderPoolOptions {
  /** Workers at most, so documents at once; further requests queue. */
  size?: number
  /**
   * A worker idle this long exits (it costs some 20-40 MB); the next report starts one again in a
   * fraction of a second. Reports come in bursts (a weekly pull), so the memory is not kept for them.
   */
  idleMs?: number
}

// Built (`npm run build`), this module is dist/reports/render-pool.js and the worker plain JS that a
// thread loads by itself. From source the worker is TypeScript, which a thread loads only through
// tsx: render-worker-bootstrap.mjs registers it first.
const COMPILED = import.meta.url.endsWith('.js')
const WORKER = new URL(COMPILED ? './render-worker.js' : './render-worker-bootstrap.mjs', import.meta.url)
const WORKER_DATA = COMPILED ? {} : { entry: new URL('./render-worker.ts', import.meta.url).href }

export const defaultPoolSize = (): number => Math.max(1, Math.min(2, availableParallelism()))

export function createRenderPool({ size = defaultPoolSize(), idleMs = 60_000 }: RenderPoolOptions = {}): RenderPool {
  const slots: Slot[] = []
  const queue: Pending[] = []
  let nextId = 0
  let closed = false

  function spawn(): Slot {
    const slot: Slot = { worker: new Worker(WORKER, { workerData: WORKER_DATA }), current: undefined, idleTimer: undefined }
    slot.worker.unref()
    slot.worker.on('message', (m: WorkerMessage) => {
      const job = slot.current
      if (!job || job.jobId !== m.jobId) return
      if (m.type === 'chunk') {
        // A client that went away destroyed the stream; the worker still finishes its document.
        if (!job.out.destroyed) job.out.write(Buffer.from(m.chunk.buffer, m.chunk.byteOffset, m.chunk.byteLength))
        return
      }
      if (m.type === 'end') job.out.end()
      else job.out.destroy(new Error(`PDF rendering failed: ${m.message}`))
      release(slot)
    })
    // A crashed worker fails its job and is replaced on the next dispatch.
    slot.worker.on('error', (err) => {
      slot.current?.out.destroy(err)
      slot.current = undefined
      remove(slot)
      dispatch()
    })
    slots.push(slot)
    idle(slot)
    return slot
  }

  function remove(slot: Slot): void {
    clearTimeout(slot.idleTimer)
    const i = slots.indexOf(slot)
    if (i >= 0) slots.splice(i, 1)
  }

  function idle(slot: Slot): void {
    clearTimeout(slot.idleTimer)
    slot.idleTimer = setTimeout(() => {
      if (slot.current) return
      remove(slot)
      void slot.worker.terminate()
    }, idleMs).unref()
  }

  function release(slot: Slot): void {
    slot.current = undefined
    slot.worker.unref()
    dispatch()
    if (!slot.current) idle(slot)
  }

  function dispatch(): void {
    while (queue.length > 0 && !closed) {
      const slot = slots.find((s) => !s.current) ?? (slots.length < size ? spawn() : undefined)
      if (!slot) return
      const pending = queue.shift()!
      clearTimeout(slot.idleTimer)
      slot.current = pending
      slot.worker.ref()
      slot.worker.postMessage({ jobId: pending.jobId, job: pending.job })
    }
  }

  return {
    size,
    get running() { return slots.length },
    render(job) {
      if (closed) throw new Error('render pool is closed')
      const out = new PassThrough()
      queue.push({ jobId: ++nextId, job, out })
      dispatch()
      return out
    },
    warm() {
      while (!closed && slots.length < size) spawn()
    },
    async close() {
      closed = true
      const stopped = new Error('render pool closed')
      for (const p of queue.splice(0)) p.out.destroy(stopped)
      for (const s of slots) {
        clearTimeout(s.idleTimer)
        s.current?.out.destroy(stopped)
      }
      await Promise.all(slots.splice(0).map((s) => s.worker.terminate()))
    }
  }
}
