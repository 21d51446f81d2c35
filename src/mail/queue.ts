import type { Db } from '../db/client.ts'
import type { MailRequest } from './templates.ts'

/**
 * Renders a message and puts it in the mail outbox, in the caller's transaction: a message is never
 * sent for a change that rolled back, nor lost for one that committed. The mail worker sends it
 * (or, without SMTP, keeps it for /admin/mail). Built by the email work package: frozen signature.
 */
export async function queueMail(tx: Db, message: MailRequest): Promise<void> {
  void tx; void message
  throw new Error('queueMail: not built yet')
}
