import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.ts'
import { RELAY_BATCH, relayOnce } from './relay.ts'

export const RELAY_LOOP = 'events:relay'

/**
 * The relay, on every instance (one relays at a time). Writers do not NOTIFY (a NOTIFY serialises
 * every notifying commit); instead a successful write request nudges this instance's relay once
 * its answer is sent, so the feed trails a local commit by a few milliseconds and another
 * instance's by at most EVENTS_RELAY_INTERVAL_MS. Numbering new events nudges the feed consumers.
 */
export default fp(async function eventsPlugin(app: FastifyInstance, config: Pick<Config, 'EVENTS_RELAY_INTERVAL_MS'>) {
  app.background.register(RELAY_LOOP, { intervalMs: config.EVENTS_RELAY_INTERVAL_MS }, async () => {
    const numbered = await relayOnce(app.db)
    if (numbered > 0) app.background.nudgeAll('feed:')
    return numbered === RELAY_BATCH ? 'more' : undefined
  })
  app.addHook('onResponse', async (request, reply) => {
    if (request.method !== 'GET' && request.method !== 'HEAD' && reply.statusCode < 400) app.background.nudge(RELAY_LOOP)
  })
}, { name: 'events', dependencies: ['background', 'db'] })
