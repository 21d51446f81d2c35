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
  /** Starts every worker now (module loading and font parsing take a second or two under tsx). */
  warm(): void
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
}

const BOOTSTRAP = new URL('./render-worker-bootstrap.mjs', import.meta.url)
const ENTRY = new URL('./render-worker.ts', import.meta.url).href

export const defaultPoolSize = (): number => Math.max(1, Math.min(2, availableParallelism()))

export function createRenderPool(size = defaultPoolSize()): RenderPool {
  const slots: Slot[] = []
  const queue: Pending[] = []
  let nextId = 0
  let closed = false

  function spawn(): Slot {
    const slot: Slot = { worker: new Worker(BOOTSTRAP, { workerData: { entry: ENTRY } }), current: undefined }
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
      slots.splice(slots.indexOf(slot), 1)
      dispatch()
    })
    slots.push(slot)
    return slot
  }

  function release(slot: Slot): void {
    slot.current = undefined
    slot.worker.unref()
    dispatch()
  }

  function dispatch(): void {
    while (queue.length > 0 && !closed) {
      const slot = slots.find((s) => !s.current) ?? (slots.length < size ? spawn() : undefined)
      if (!slot) return
      const pending = queue.shift()!
      slot.current = pending
      slot.worker.ref()
      slot.worker.postMessage({ jobId: pending.jobId, job: pending.job })
    }
  }

  return {
    size,
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
      for (const s of slots) s.current?.out.destroy(stopped)
      await Promise.all(slots.splice(0).map((s) => s.worker.terminate()))
    }
  }
}
