import { sql } from 'drizzle-orm'
import type { FastifyBaseLogger } from 'fastify'
import type { Db } from '../db/client.ts'
import { rows } from '../db/rows.ts'
import { findResetAccount } from './reset-requests.ts'
import { createLink } from '../modules/identity/links-service.ts'
import { RESET_REQUEST } from './queue.ts'
import type { MailTransport } from './transport.ts'

export interface MailWorkerDeps {
  db: Db
  /** Null without SMTP_URL: messages are kept for /admin/mail instead of sent. */
  transport: MailTransport | null
  /** PUBLIC_BASE_URL, for the links forgot-password mails carry. */
  baseUrl: string
  log: FastifyBaseLogger
}

/** Messages per run; a full batch runs again at once. */
export const MAIL_BATCH = 10
/** 5 tries over about an hour: the waits after the 1st to 4th failure; the 5th failure is final. */
export const RETRY_DELAYS_S = [60, 5 * 60, 15 * 60, 40 * 60] as const
export const MAX_ATTEMPTS = RETRY_DELAYS_S.length + 1
/** Longer than a send can take (transport.ts bounds each stage), so two instances never send one attempt. */
const LEASE_S = 120

/** The log names the recipient's domain only: an address, a body or a link never reaches a log line. */
export const recipientDomain = (address: string): string => (address.split('@').pop() ?? '').toLowerCase()

/**
 * One run of the mail worker: turns forgot-password requests into mail (or nothing), then sends the
 * due messages over SMTP, or keeps them without SMTP. Answers how many rows it handled, so the
 * loop runs again at once after a full batch. Tests call it directly for determinism.
 */
export async function mailWorkerOnce(deps: MailWorkerDeps): Promise<number> {
  const requests = await handleResetRequests(deps)
  const messages = deps.transport ? await sendDue(deps, deps.transport) : await keepPending(deps)
  return Math.max(requests, messages)
}

/**
 * A request row names an address and nothing else. Here, away from the request's timing, the
 * account is looked up: one with a password gets a reset link, one still without (a lost
 * invitation) a new invitation, an unknown or unusable address nothing at all.
 */
async function handleResetRequests(deps: MailWorkerDeps): Promise<number> {
  return deps.db.transaction(async (tx) => {
    const claimed = await rows<{ id: string; to_address: string }>(tx, sql`
      select id, to_address from mail_messages where template = ${RESET_REQUEST} and state = 'pending'
      order by created_at limit ${MAIL_BATCH} for update skip locked`)
    for (const request of claimed) {
      const account = await findResetAccount(tx, request.to_address)
      if (account) await createLink(tx, null, account.id, account.hasPassword ? 'password-reset' : 'invitation', deps.baseUrl, new Date())
      await tx.execute(sql`update mail_messages set state = ${account ? 'sent' : 'dropped'}, sent_at = now() where id = ${request.id}`)
    }
    return claimed.length
  })
}

/** Without SMTP: waiting messages (and any an SMTP-configured run left half-sent) are kept for /admin/mail. */
async function keepPending(deps: MailWorkerDeps): Promise<number> {
  const kept = await rows<{ template: string; to_address: string }>(deps.db, sql`
    update mail_messages set state = 'kept' where id in (
      select id from mail_messages where template <> ${RESET_REQUEST} and (state = 'pending' or (state = 'sending' and lease_until < now()))
      order by next_attempt_at limit ${MAIL_BATCH} for update skip locked)
    returning template, to_address`)
  for (const m of kept) deps.log.info({ template: m.template, recipientDomain: recipientDomain(m.to_address) }, 'mail queued')
  return kept.length
}

interface Claimed { id: string; template: string; to_address: string; subject: string; text_body: string; html_body: string; attempts: number }

/**
 * The claim is one short statement (FOR UPDATE SKIP LOCKED, a lease), SMTP happens outside any
 * transaction, and each result is written fenced by the claimed attempt number, so an instance
 * that comes back after its lease expired cannot overwrite a newer attempt.
 */
async function sendDue(deps: MailWorkerDeps, transport: MailTransport): Promise<number> {
  const claimed = await rows<Claimed>(deps.db, sql`
    update mail_messages set state = 'sending', attempts = attempts + 1, lease_until = now() + make_interval(secs => ${LEASE_S})
    where id in (
      select id from mail_messages
      where template <> ${RESET_REQUEST} and ((state = 'pending' and next_attempt_at <= now()) or (state = 'sending' and lease_until < now()))
      order by next_attempt_at limit ${MAIL_BATCH} for update skip locked)
    returning id, template, to_address, subject, text_body, html_body, attempts`)
  for (const m of claimed) {
    const fields = { template: m.template, recipientDomain: recipientDomain(m.to_address) }
    try {
      await transport.send({ to: m.to_address, subject: m.subject, text: m.text_body, html: m.html_body })
    } catch (err) {
      const final = m.attempts >= MAX_ATTEMPTS
      const delay = RETRY_DELAYS_S[m.attempts - 1] ?? 0
      // The SMTP error's code only: its message can quote the recipient back.
      const code = errorCode(err)
      await deps.db.execute(sql`
        update mail_messages set lease_until = null, error = ${code},
          state = ${final ? 'failed' : 'pending'}, next_attempt_at = now() + make_interval(secs => ${delay}),
          text_body = ${final ? null : sql`text_body`}, html_body = ${final ? null : sql`html_body`}
        where id = ${m.id} and attempts = ${m.attempts}`)
      deps.log.warn({ ...fields, attempts: m.attempts, final, code }, 'mail not sent')
      continue
    }
    // Accepted: the bodies go, so no reset or invitation link lingers in the database.
    await deps.db.execute(sql`
      update mail_messages set state = 'sent', sent_at = now(), lease_until = null, error = null, text_body = null, html_body = null
      where id = ${m.id} and attempts = ${m.attempts}`)
    deps.log.info(fields, 'mail sent')
  }
  return claimed.length
}

function errorCode(err: unknown): string {
  const e = err as { code?: unknown; responseCode?: unknown }
  const parts = [typeof e.code === 'string' ? e.code : 'EUNKNOWN', typeof e.responseCode === 'number' ? String(e.responseCode) : '']
  return parts.filter(Boolean).join(' ').slice(0, 100)
}
