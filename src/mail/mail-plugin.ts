import { sql } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.ts'
import type { Db } from '../db/client.ts'
import { consumeOnce, consumerLoop, type FeedEvent } from '../events/consumers.ts'
import { GLOBAL_SCOPE, runOncePerPeriod } from '../schedules/once.ts'
import { mailNotices } from './notices.ts'
import { smtpTransport } from './transport.ts'
import { MAIL_BATCH, mailWorkerOnce } from './worker.ts'

export const MAIL_LOOP = 'mail:worker'
const MAIL_POLL_MS = 5000
const PRUNE_LOOP = 'mail:prune'
const HOUR_MS = 3_600_000

/** Kept messages are read within days; finished rows (sent without bodies, failed, dropped requests) stay a month as a record. */
export async function pruneMail(db: Db): Promise<void> {
  await db.execute(sql`delete from mail_messages where
    (state = 'kept' and created_at < now() - interval '7 days')
    or (state in ('sent', 'failed', 'dropped') and created_at < now() - interval '30 days')`)
}

/** Requests that queue mail: after one, the worker runs at once instead of at its next poll. */
const QUEUES_MAIL = /invitations|password-resets|forgot-password/

/** The mail worker (SMTP or kept), the mail-notices feed consumer and the daily prune. */
export default fp(async function mailPlugin(app: FastifyInstance, config: Pick<Config, 'SMTP_URL' | 'MAIL_FROM' | 'PUBLIC_BASE_URL'>) {
  const transport = smtpTransport(config)
  const deps = { db: app.db, transport, baseUrl: config.PUBLIC_BASE_URL, log: app.log }
  app.background.register(MAIL_LOOP, { intervalMs: MAIL_POLL_MS }, async () => (await mailWorkerOnce(deps)) === MAIL_BATCH ? 'more' : undefined)

  // consumeFeed's loop, plus a nudge to the worker once the consumer's mail committed.
  const notices = mailNotices(config.PUBLIC_BASE_URL)
  let handled = false
  const consumer = { ...notices, handle: async (tx: Db, events: FeedEvent[]) => { await notices.handle(tx, events); handled = true } }
  app.background.register(consumerLoop(notices.name), { intervalMs: 1000, minGapMs: notices.minGapMs }, async () => {
    handled = false
    const more = await consumeOnce(app.db, consumer)
    if (handled) app.background.nudge(MAIL_LOOP)
    return more ? 'more' : undefined
  })

  app.background.register(PRUNE_LOOP, { intervalMs: HOUR_MS }, async () => {
    const period = new Date().toISOString().slice(0, 10)
    await runOncePerPeriod(app.db, { job: 'mail-prune', scopeId: GLOBAL_SCOPE, period }, pruneMail)
  })

  app.addHook('onResponse', async (request, reply) => {
    if (request.method === 'POST' && reply.statusCode < 400 && QUEUES_MAIL.test(request.routeOptions.url ?? '')) app.background.nudge(MAIL_LOOP)
  })
  app.addHook('onClose', async () => { transport?.close() })
}, { name: 'mail', dependencies: ['background', 'events'] })
