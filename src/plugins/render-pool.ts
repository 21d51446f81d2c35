import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { createRenderPool, type RenderPool } from '../reports/render-pool.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** The one pool of PDF worker threads every report route renders in. */
    renderPool: RenderPool
  }
}

export default fp(async function renderPoolPlugin(app: FastifyInstance) {
  const pool = createRenderPool()
  app.decorate('renderPool', pool)
  app.addHook('onClose', async () => pool.close())
}, { name: 'render-pool' })
