import { setPriority } from 'node:os'
import { parentPort } from 'node:worker_threads'
import { reportFonts } from './fonts.ts'
import { renderReport, type RenderJob } from './renderers.ts'

/**
 * Runs in a worker thread: lays out one PDF at a time and posts its bytes in pieces as pdfkit
 * produces them, so the main thread can stream them to the client while the rest is still being written.
 */
export type WorkerMessage =
  | { jobId: number; type: 'started' }
  | { jobId: number; type: 'chunk'; chunk: Uint8Array }
  | { jobId: number; type: 'end' }
  | { jobId: number; type: 'error'; message: string }

// Parse the fonts while the worker starts, not during its first request.
reportFonts()

/**
 * Layout is background work: requests come first. On Linux, setpriority(0) applies to the calling
 * thread only, so this lowers this worker's scheduling priority and leaves the event loop's thread
 * at its own; with as many busy workers as cores, the main thread still gets the CPU when it needs it.
 */
export const RENDER_NICENESS = 10
try {
  setPriority(RENDER_NICENESS)
} catch {
  // Not permitted here (some containers, other platforms): render at normal priority.
}

const port = parentPort
if (!port) throw new Error('render-worker.ts must run in a worker thread')

/**
 * pdfkit emits a chunk per object it writes (some two hundred for a five-page report); each message
 * to the main thread and each socket write has a fixed cost, so chunks are gathered and handed over
 * in pieces of this size, the last one when the document ends.
 */
export const HANDOVER_BYTES = 64 * 1024

port.on('message', ({ jobId, job }: { jobId: number; job: RenderJob }) => {
  const post = (m: WorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer)
  let gathered: Buffer[] = []
  let size = 0
  const handOver = () => {
    if (size === 0) return
    // One fresh buffer the worker can transfer without cloning (pdfkit's chunks may share a pooled one).
    const piece = new Uint8Array(size)
    let at = 0
    for (const chunk of gathered) {
      piece.set(chunk, at)
      at += chunk.byteLength
    }
    gathered = []
    size = 0
    post({ jobId, type: 'chunk', chunk: piece }, [piece.buffer as ArrayBuffer])
  }
  // The pool's time limit counts from here: a fresh worker's start-up (modules, fonts) is not the document's.
  post({ jobId, type: 'started' })
  try {
    const doc = renderReport(job)
    doc.on('data', (chunk: Buffer) => {
      gathered.push(chunk)
      size += chunk.byteLength
      if (size >= HANDOVER_BYTES) handOver()
    })
    doc.on('end', () => {
      handOver()
      post({ jobId, type: 'end' })
    })
    doc.on('error', (err: Error) => post({ jobId, type: 'error', message: err.message }))
  } catch (err) {
    post({ jobId, type: 'error', message: err instanceof Error ? err.message : String(err) })
  }
})
