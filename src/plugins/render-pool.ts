import type { FastifyInstance, FastifyReply } from 'fastify'
import { attachmentDisposition } from '../lib/csv.ts'
import type { RenderJob } from '../reports/renderers.ts'
import fp from 'fastify-plugin'
import { createRenderPool, type RenderPool } from '../reports/render-pool.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** The one pool of PDF worker threads every report route renders in. */
    renderPool: RenderPool
  }
}

export interface RenderPoolPluginOptions {
  /** 0: the default size (as many as cores, up to 2). */
  workers: number
  idleSeconds: number
}

export default fp(async function renderPoolPlugin(app: FastifyInstance, o: RenderPoolPluginOptions) {
  const pool = createRenderPool({ size: o.workers > 0 ? o.workers : undefined, idleMs: o.idleSeconds * 1000 })
  app.decorate('renderPool', pool)
  app.addHook('onClose', async () => pool.close())
}, { name: 'render-pool' })

/**
 * Streams a report rendered in the pool: shown in the browser (inline) unless it is a download;
 * the name as the person knows it (RFC 5987 for non-ASCII); never cached by shared caches.
 */
export function sendPdf(reply: FastifyReply, pool: RenderPool, job: RenderJob, file: { name: string; download?: boolean }): FastifyReply {
  return reply
    .type('application/pdf')
    .header('content-disposition', attachmentDisposition(file.name, file.download ? 'attachment' : 'inline'))
    .header('cache-control', 'private, no-store')
    .send(pool.render(job))
}
