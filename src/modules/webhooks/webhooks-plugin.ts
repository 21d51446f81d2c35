import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../../config.ts'

/** Webhook fan-out (a feed consumer) and delivery workers. Built by the webhooks work package. */
export default fp(async function webhooksPlugin(app: FastifyInstance, config: Pick<Config, 'WEBHOOK_ALLOW_PRIVATE' | 'WEBHOOK_CONCURRENCY'>) {
  void app; void config
}, { name: 'webhooks', dependencies: ['background', 'events'] })
