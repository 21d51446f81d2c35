import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.ts'
import { createBackground, type Background } from '../background/loops.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** The instance's background loops (src/background/loops.ts); features register theirs at build time. */
    background: Background
  }
}

/**
 * Loops start when the app is ready (after the server's migrations, before it listens) and stop in
 * preClose, so a run in progress finishes before onClose closes the database.
 */
export default fp(async function backgroundPlugin(app: FastifyInstance, config: Pick<Config, 'DISPATCHER_ENABLED'>) {
  const background = createBackground({ enabled: config.DISPATCHER_ENABLED, log: app.log })
  app.decorate('background', background)
  app.addHook('onReady', async () => { background.start() })
  app.addHook('preClose', async () => { await background.stop() })
}, { name: 'background' })
