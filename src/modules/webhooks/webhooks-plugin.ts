import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../../config.ts'
import { consumerLoop } from '../../events/consumers.ts'
import { createDeliveryWorker, type DeliveryWorker } from './delivery-worker.ts'
import { fanOutConsumer } from './fan-out.ts'
import { createDeliveryAgent } from './safe-fetch.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** Webhook delivery of this instance; the run-once functions let tests and tools drive it. */
    webhooks: {
      worker: DeliveryWorker
      /** One fan-out batch; true when a full batch was read. With the loop's signal, deliveries go straight to the local worker. */
      fanOutOnce: (handOver?: AbortSignal) => Promise<boolean>
      allowPrivate: boolean
      /** How far back a replay may reach: what the feed keeps. */
      retentionDays: number
    }
  }
}

export const DELIVERY_LOOP = 'webhooks:deliver'
/** Polling for due retries and other instances' fan-out; this instance's own fan-out nudges at once. */
const DELIVERY_POLL_MS = 1000
/**
 * Claims at most this often: nudges (a fan-out committed, a send ended) within it are gathered into
 * one claim of many rows, instead of a claim per answer. Sends in progress are not held up: claims
 * run ahead of them (CLAIM_AHEAD in delivery-worker.ts).
 */
const CLAIM_GAP_MS = 20

/**
 * The webhook fan-out (a feed consumer, under the name the relay nudges) and the delivery loop:
 * up to WEBHOOK_CONCURRENCY sends at a time on this instance, the loop nudged by the fan-out after
 * its batch commits and by each finished send. At shutdown the sends in progress are aborted and
 * left unrecorded: their leases expire and they are sent again, with the same webhook-id.
 */
export default fp(async function webhooksPlugin(app: FastifyInstance, config: Pick<Config, 'WEBHOOK_ALLOW_PRIVATE' | 'WEBHOOK_CONCURRENCY' | 'EVENTS_RETENTION_DAYS'>) {
  const agent = createDeliveryAgent(config.WEBHOOK_ALLOW_PRIVATE)
  const worker = createDeliveryWorker({
    db: app.db, secrets: app.identity.secrets, agent, allowPrivate: config.WEBHOOK_ALLOW_PRIVATE,
    concurrency: config.WEBHOOK_CONCURRENCY, publicBaseUrl: app.identity.publicBaseUrl, log: app.log,
    onSettled: () => app.background.nudge(DELIVERY_LOOP)
  })
  const fanOut = fanOutConsumer()
  // The loop's runs hand what the local worker has room for straight to it; a call without a signal
  // (tests, tools) leaves every delivery pending for the claim.
  const fanOutOnce = async (handOver?: AbortSignal) => {
    const { more, pending } = await fanOut.once(app.db, handOver ? worker.grant(handOver) : null)
    if (pending > 0) app.background.nudge(DELIVERY_LOOP)
    return more
  }
  app.decorate('webhooks', { worker, fanOutOnce, allowPrivate: config.WEBHOOK_ALLOW_PRIVATE, retentionDays: config.EVENTS_RETENTION_DAYS })
  app.background.register(consumerLoop(fanOut.consumer.name), { intervalMs: DELIVERY_POLL_MS }, async (signal) => (await fanOutOnce(signal)) ? 'more' : undefined)
  app.background.register(DELIVERY_LOOP, { intervalMs: DELIVERY_POLL_MS, minGapMs: CLAIM_GAP_MS }, async (signal) => { await worker.runOnce(signal) })
  // After the background plugin's preClose (registered first), which aborts the sends' signal.
  app.addHook('preClose', async () => {
    await worker.drain()
    await agent.close()
  })
}, { name: 'webhooks', dependencies: ['background', 'events', 'identity', 'db'] })
