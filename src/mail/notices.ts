import { and, eq, inArray, isNotNull } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { accounts, certificates, observations, supervisors } from '../db/schema/index.ts'
import type { FeedConsumer, FeedEvent } from '../events/consumers.ts'
import { accountUsable } from '../modules/identity/sessions.ts'
import { queueMail } from './queue.ts'

export const MAIL_NOTICES = 'mail-notices'

/** A trainee's account that can receive mail: active, usable, with an address. */
async function traineeAccounts(tx: Db, traineeIds: string[]) {
  if (traineeIds.length === 0) return new Map<string, { id: string; name: string; email: string }>()
  const found = await tx.select({ id: accounts.id, name: accounts.name, email: accounts.email, traineeId: accounts.traineeId }).from(accounts)
    .where(and(inArray(accounts.traineeId, traineeIds), isNotNull(accounts.email), accountUsable))
  return new Map(found.map((a) => [a.traineeId!, { id: a.id, name: a.name, email: a.email! }]))
}

/**
 * The mail the feed causes, queued in the consumer's transaction (so each event mails once): the
 * trainee hears that an observation is ready (a link to its page, never its content) and that a
 * certificate was issued or revoked (a link to its public verification page).
 */
export function mailNotices(baseUrl: string): FeedConsumer {
  const base = baseUrl.replace(/\/$/, '')
  return {
    name: MAIL_NOTICES,
    types: ['observation.submitted', 'certificate.issued', 'certificate.revoked'],
    // A notice may trail its change by a second: a burst of submissions is one batch of mail.
    batchSize: 500,
    minGapMs: 1000,
    async handle(tx: Db, events: FeedEvent[]) {
      const observationIds = events.filter((e) => e.type === 'observation.submitted').map((e) => e.subjectId)
      const certificateIds = events.filter((e) => e.type !== 'observation.submitted').map((e) => e.subjectId)
      const obs = observationIds.length === 0 ? [] : await tx.select({ id: observations.id, traineeId: observations.traineeId, supervisorName: supervisors.name })
        .from(observations).innerJoin(supervisors, eq(supervisors.id, observations.supervisorId)).where(inArray(observations.id, observationIds))
      const certs = certificateIds.length === 0 ? [] : await tx.select({ id: certificates.id, traineeId: certificates.traineeId, programName: certificates.programName, code: certificates.verificationCode })
        .from(certificates).where(inArray(certificates.id, certificateIds))
      const to = await traineeAccounts(tx, [...obs.map((o) => o.traineeId), ...certs.map((c) => c.traineeId)])
      const obsById = new Map(obs.map((o) => [o.id, o]))
      const certById = new Map(certs.map((c) => [c.id, c]))
      for (const event of events) {
        if (event.type === 'observation.submitted') {
          const o = obsById.get(event.subjectId)
          const account = o && to.get(o.traineeId)
          if (!o || !account) continue
          await queueMail(tx, { template: 'observation-ready', to: account.email, accountId: account.id,
            vars: { name: account.name, supervisorName: o.supervisorName, link: `${base}/observations/${o.id}` } })
        } else {
          const c = certById.get(event.subjectId)
          const account = c && to.get(c.traineeId)
          if (!c || !account) continue
          await queueMail(tx, { template: event.type === 'certificate.issued' ? 'certificate-issued' : 'certificate-revoked', to: account.email, accountId: account.id,
            vars: { name: account.name, programName: c.programName, link: `${base}/verify/${encodeURIComponent(c.code)}` } })
        }
      }
    }
  }
}
