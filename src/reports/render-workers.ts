import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import type { WorkerMessage } from './render-worker.ts'
import type { RenderJob } from './renderers.ts'

// Built (`npm run build`), this module is dist/reports/render-workers.js and the worker plain JS that a
// thread loads by itself. From source the worker is TypeScript, which a thread loads only through
// tsx: render-worker-bootstrap.mjs registers it first.
const COMPILED = import.meta.url.endsWith('.js')
const WORKER = new URL(COMPILED ? './render-worker.js' : './render-worker-bootstrap.mjs', import.meta.url)
const WORKER_DATA = COMPILED ? {} : { entry: new URL('./render-worker.ts', import.meta.url).href }

export const defaultPoolSize = (): number => Math.max(1, Math.min(2, availableParallelism()))

/** One render worker thread and the job it holds; the pool (render-pool.ts) decides what it renders. */
export interface WorkerSlot<J extends { id: number } = { id: number }> {
  job: J | undefined
  /** Hands a job to the worker; it holds the process open until idle() again. */
  post(jobId: number, job: RenderJob): void
  /** No job now: the worker stops holding the process open and exits after idleMs unless given one. */
  idle(): void
  /** Stops the thread at once, even mid-document; no callback is called for it afterwards. */
  terminate(): Promise<void>
}

export interface WorkerEvents {
  heapMb: number
  idleMs: number
  /** The worker began the job (a fresh one first loads its modules and fonts). */
  onStarted(jobId: number): void
  onChunk(jobId: number, chunk: Buffer): void
  /** The document ended: `failure` is the message of an error thrown while laying it out. */
  onDone(jobId: number, failure: string | undefined): void
  /** The thread died by itself (out of heap, a crash): it cannot be used again. */
  onLost(err: Error | undefined): void
  /** The thread exited after idling idleMs. */
  onIdle(): void
}

export function spawnWorker<J extends { id: number }>(events: WorkerEvents): WorkerSlot<J> {
  const worker = new Worker(WORKER, { workerData: WORKER_DATA, resourceLimits: { maxOldGenerationSizeMb: events.heapMb } })
  worker.unref()
  let idleTimer: NodeJS.Timeout | undefined
  // Set once the pool stopped it or it died: later events of this thread are not the pool's business.
  let gone = false
  const lose = (err: Error | undefined) => {
    if (gone) return
    gone = true
    clearTimeout(idleTimer)
    events.onLost(err)
  }
  worker.on('message', (m: WorkerMessage) => {
    if (gone) return
    if (m.type === 'started') events.onStarted(m.jobId)
    else if (m.type === 'chunk') events.onChunk(m.jobId, Buffer.from(m.chunk.buffer, m.chunk.byteOffset, m.chunk.byteLength))
    else events.onDone(m.jobId, m.type === 'error' ? m.message : undefined)
  })
  worker.on('error', lose)
  worker.on('exit', () => lose(undefined))
  const slot: WorkerSlot<J> = {
    job: undefined,
    post(jobId, job) {
      clearTimeout(idleTimer)
      worker.ref()
      worker.postMessage({ jobId, job })
    },
    idle() {
      worker.unref()
      clearTimeout(idleTimer)
      idleTimer = setTimeout(() => {
        if (slot.job || gone) return
        gone = true
        events.onIdle()
        void worker.terminate()
      }, events.idleMs).unref()
    },
    async terminate() {
      gone = true
      clearTimeout(idleTimer)
      await worker.terminate()
    }
  }
  return slot
}
