import type { Db } from '../db/client.ts'
import { mailMessages } from '../db/schema/index.ts'
import { renderTemplate } from './templates/index.ts'
import type { MailRequest } from './templates.ts'

/**
 * Renders a message and puts it in the mail outbox, in the caller's transaction: a message is never
 * sent for a change that rolled back, nor lost for one that committed. The mail worker sends it
 * (or, without SMTP, keeps it for /admin/mail). Built by the email work package: frozen signature.
 */
export async function queueMail(tx: Db, message: MailRequest): Promise<void> {
  const rendered = renderTemplate(message)
  // `vars` is not stored: the bodies say everything, and they are cleared once sent (links must not linger).
  await tx.insert(mailMessages).values({
    template: message.template, accountId: message.accountId ?? null, toAddress: message.to,
    subject: rendered.subject, textBody: rendered.text, htmlBody: rendered.html
  })
}

/** The template name of a forgot-password request row: the worker, not the request, decides whether mail follows. */
export const RESET_REQUEST = 'password-reset-request'

/**
 * Queues a forgot-password request for `address`, and nothing more: the sign-in page answers in
 * the same time and words whether or not the address has an account, and the worker looks it up.
 */
export async function queueResetRequest(db: Db, address: string): Promise<void> {
  await db.insert(mailMessages).values({ template: RESET_REQUEST, toAddress: address.trim().toLowerCase() })
}
