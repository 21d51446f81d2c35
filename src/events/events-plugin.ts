import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.ts'
import { GLOBAL_SCOPE, periodRan, runOncePerPeriod } from '../schedules/once.ts'
import { RELAY_BATCH, relayOnce } from './relay.ts'
import { deleteExpiredEvents, RETENTION_JOB } from './retention.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** True only on an app built with `events: false` (AppOptions, the events benchmark's baseline). */
    eventsOff: boolean
  }
}

export const RELAY_LOOP = 'events:relay'
export const RETENTION_LOOP = 'events:retention'

/**
 * Nudges after commits are gathered for this long: under load the relay then runs at most this
 * often and numbers a burst of commits in one round (one transaction, and one fan-out round after
 * it) instead of one round per request. Feed lag stays far below EVENTS_RELAY_INTERVAL_MS.
 */
const NUDGE_COALESCE_MS = 25

/** How often an instance looks whether today's retention ran; the claim makes it once a day in all. */
const RETENTION_CHECK_MS = 15 * 60_000

/** Retention for the UTC day of `now`, once however many instances run it; answers whether this call did it. */
export function runRetention(app: FastifyInstance, days: number, now = new Date()): Promise<boolean> {
  const period = { job: RETENTION_JOB, scopeId: GLOBAL_SCOPE, period: now.toISOString().slice(0, 10) }
  return periodRan(app.db, period).then((ran) => ran ? false : runOncePerPeriod(app.db, period, async (tx) => {
    const deleted = await deleteExpiredEvents(tx, days)
    app.log.info({ deleted, days }, 'events retention ran')
  }))
}

/**
 * The relay, on every instance (one relays at a time). Writers do not NOTIFY (a NOTIFY serialises
 * every notifying commit); instead a successful write request nudges this instance's relay once
 * its answer is sent (nudges gathered for NUDGE_COALESCE_MS), so the feed trails a local commit by a few milliseconds and another
 * instance's by at most EVENTS_RELAY_INTERVAL_MS. Numbering new events nudges the feed consumers.
 * Retention runs daily (UTC date) as a global once-per-period job.
 */
export default fp(async function eventsPlugin(
  app: FastifyInstance, config: Pick<Config, 'EVENTS_RELAY_INTERVAL_MS' | 'EVENTS_RETENTION_DAYS'> & { eventsOff?: boolean }
) {
  app.decorate('eventsOff', config.eventsOff === true)
  if (config.eventsOff === true) return
  app.background.register(RELAY_LOOP, { intervalMs: config.EVENTS_RELAY_INTERVAL_MS }, async () => {
    const numbered = await relayOnce(app.db)
    if (numbered > 0) app.background.nudgeAll('feed:')
    return numbered === RELAY_BATCH ? 'more' : undefined
  })
  app.background.register(RETENTION_LOOP, { intervalMs: RETENTION_CHECK_MS }, async () => { await runRetention(app, config.EVENTS_RETENTION_DAYS) })
  let nudging: NodeJS.Timeout | undefined
  app.addHook('onResponse', async (request, reply) => {
    if (request.method === 'GET' || request.method === 'HEAD' || reply.statusCode >= 400 || nudging) return
    nudging = setTimeout(() => {
      nudging = undefined
      app.background.nudge(RELAY_LOOP)
    }, NUDGE_COALESCE_MS)
    nudging.unref()
  })
  app.addHook('onClose', async () => { clearTimeout(nudging) })
}, { name: 'events', dependencies: ['background', 'db'] })
