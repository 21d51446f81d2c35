import { setPriority } from 'node:os'
import { parentPort } from 'node:worker_threads'
import { reportFonts } from './fonts.ts'
import { renderReport, type RenderJob } from './renderers.ts'

/**
 * Runs in a worker thread: lays out one PDF at a time and posts its bytes as pdfkit produces them,
 * so the main thread can stream them to the client while the rest is still being written.
 */
export type WorkerMessage =
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

port.on('message', ({ jobId, job }: { jobId: number; job: RenderJob }) => {
  const post = (m: WorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer)
  try {
    const doc = renderReport(job)
    doc.on('data', (chunk: Buffer) => {
      // A copy the worker can hand over without cloning: pdfkit's chunks may share a pooled buffer.
      const copy = new Uint8Array(chunk)
      post({ jobId, type: 'chunk', chunk: copy }, [copy.buffer as ArrayBuffer])
    })
    doc.on('end', () => post({ jobId, type: 'end' }))
    doc.on('error', (err: Error) => post({ jobId, type: 'error', message: err.message }))
  } catch (err) {
    post({ jobId, type: 'error', message: err instanceof Error ? err.message : String(err) })
  }
})
