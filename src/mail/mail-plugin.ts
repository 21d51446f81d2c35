import { sql } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.ts'
import type { Db } from '../db/client.ts'
import { consumeFeed } from '../events/consumers.ts'
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

  // The worker is nudged once the consumer's mail committed.
  consumeFeed(app.background, app.db, mailNotices(config.PUBLIC_BASE_URL), { afterCommit: () => app.background.nudge(MAIL_LOOP) })

  app.background.register(PRUNE_LOOP, { intervalMs: HOUR_MS }, async () => {
    const period = new Date().toISOString().slice(0, 10)
    await runOncePerPeriod(app.db, { job: 'mail-prune', scopeId: GLOBAL_SCOPE, period }, pruneMail)
  })

  app.addHook('onResponse', async (request, reply) => {
    if (request.method === 'POST' && reply.statusCode < 400 && QUEUES_MAIL.test(request.routeOptions.url ?? '')) app.background.nudge(MAIL_LOOP)
  })
  app.addHook('onClose', async () => { transport?.close() })
}, { name: 'mail', dependencies: ['background', 'events'] })
