import type { FastifyInstance, FastifyReply } from 'fastify'
import type { Readable } from 'node:stream'
import fp from 'fastify-plugin'
import { Counter, Gauge } from 'prom-client'
import type { Config } from '../config.ts'
import { attachmentDisposition } from '../lib/csv.ts'
import { createRenderPool, LANES, type RenderPool } from '../reports/render-pool.ts'
import type { RenderJob } from '../reports/renderers.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** The one pool of PDF worker threads every report route renders in. */
    renderPool: RenderPool
  }
}

type PoolConfig = Pick<Config, 'RENDER_WORKERS' | 'RENDER_IDLE_SECONDS' | 'RENDER_QUEUE_MAX' | 'RENDER_TIMEOUT_MS' | 'RENDER_WORKER_HEAP_MB'>

export default fp(async function renderPoolPlugin(app: FastifyInstance, config: PoolConfig) {
  const registers = [app.metrics.registry]
  const workerSeconds = new Counter({
    name: 'rapport_pdf_render_worker_seconds_total', labelNames: ['lane', 'outcome'], registers,
    help: 'Seconds render workers spent on jobs, by lane and outcome (cancelled and timed_out: work nobody received).'
  })
  const pool = createRenderPool({
    size: config.RENDER_WORKERS > 0 ? config.RENDER_WORKERS : undefined,
    idleMs: config.RENDER_IDLE_SECONDS * 1000,
    queueMax: config.RENDER_QUEUE_MAX,
    timeoutMs: config.RENDER_TIMEOUT_MS,
    heapMb: config.RENDER_WORKER_HEAP_MB,
    onOutcome: (lane, outcome, seconds) => {
      app.metrics.renders.inc({ lane, outcome })
      if (seconds > 0) workerSeconds.inc({ lane, outcome }, seconds)
    }
  })
  // Read when scraped, so the pool itself keeps no metrics.
  new Gauge({
    name: 'rapport_pdf_render_queue_depth', help: 'PDF render jobs waiting for a worker, by lane.', labelNames: ['lane'], registers,
    collect() { for (const lane of LANES) this.set({ lane }, pool.depth(lane)) }
  })
  new Gauge({
    name: 'rapport_pdf_render_workers_busy', help: 'PDF render jobs holding a worker (reading their data or rendering).', registers,
    collect() { this.set(pool.busy) }
  })
  new Gauge({
    name: 'rapport_pdf_render_workers', help: 'PDF render worker threads alive (they start on demand and exit when idle).', registers,
    collect() { this.set(pool.running) }
  })
  app.decorate('renderPool', pool)
  app.addHook('onClose', async () => pool.close())
}, { name: 'render-pool', dependencies: ['metrics'] })

type Kind = RenderJob['kind']
export interface PdfFile<K extends Kind> {
  data: Extract<RenderJob, { kind: K }>['data']
  name: string
  download?: boolean
}

/** Resolves once the stream has bytes to read; rejects with its error, or when it closes without any. */
function firstBytes(stream: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      stream.off('readable', onReadable).off('error', done).off('close', onClose)
      if (err) reject(err)
      else resolve()
    }
    const onReadable = () => done()
    const onClose = () => done(new Error('the PDF stream closed before its first byte'))
    stream.on('readable', onReadable).once('error', done).once('close', onClose)
  })
}

/**
 * Renders a report of this kind in the pool and streams it: shown in the browser (inline) unless
 * it is a download; the name as the person knows it (RFC 5987 for non-ASCII); never cached by
 * shared caches. `produce` reads the report's data: it runs only once a worker is free for it, so
 * a full lane answers 503 `render-queue-full` before anything is read, and a client that left
 * costs no read and no render. Nothing is sent before the first bytes of the PDF, so a refusal,
 * a timeout or the data's own problem (404, 422) is still a problem document; a client that
 * disconnects cancels the render wherever it is.
 */
export async function sendPdf<K extends Kind>(reply: FastifyReply, pool: RenderPool, kind: K, produce: () => Promise<PdfFile<K>>): Promise<FastifyReply> {
  let file: PdfFile<K> | undefined
  const stream = pool.render({
    kind,
    prepare: async () => {
      file = await produce()
      // The kind and the data's type are tied by PdfFile<K>; TypeScript cannot rebuild the union member from them.
      return { kind, data: file.data } as RenderJob
    }
  })
  const res = reply.raw
  const leave = () => { if (!res.writableFinished) stream.destroy() }
  res.once('close', leave)
  try {
    await firstBytes(stream)
  } catch (err) {
    res.off('close', leave)
    // Nobody to answer: the error handler would write to a closed socket.
    if (res.destroyed) return reply.hijack()
    throw err
  }
  return reply
    .type('application/pdf')
    .header('content-disposition', attachmentDisposition(file!.name, file!.download ? 'attachment' : 'inline'))
    .header('cache-control', 'private, no-store')
    .send(stream)
}
