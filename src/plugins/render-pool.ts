import type { FastifyInstance } from 'fastify'
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
