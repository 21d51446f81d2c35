import { and, count, desc, eq } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { recordAudit } from '../db/audit.ts'
import { mailMessages } from '../db/schema/index.ts'
import type { RequestContext } from '../lib/request-context.ts'

export const KEPT_PAGE_SIZE = 50

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Kept messages (no SMTP), newest first, a page at a time. Pages are short-lived (7 days of mail), so an offset does. */
export async function listKeptMail(db: Db, page: number) {
  const kept = eq(mailMessages.state, 'kept')
  const [total] = await db.select({ n: count() }).from(mailMessages).where(kept)
  const items = await db.select({ id: mailMessages.id, template: mailMessages.template, to: mailMessages.toAddress, subject: mailMessages.subject, createdAt: mailMessages.createdAt })
    .from(mailMessages).where(kept).orderBy(desc(mailMessages.createdAt), desc(mailMessages.id))
    .limit(KEPT_PAGE_SIZE).offset((page - 1) * KEPT_PAGE_SIZE)
  return { items, total: total?.n ?? 0 }
}

/**
 * One kept message with its bodies. Reading one is audited: it can hold another person's
 * invitation or reset link.
 */
export async function readKeptMail(db: Db, ctx: RequestContext, id: string) {
  if (!UUID.test(id)) return undefined
  return db.transaction(async (tx) => {
    const [message] = await tx.select().from(mailMessages).where(and(eq(mailMessages.id, id), eq(mailMessages.state, 'kept')))
    if (message) await recordAudit(tx, ctx, { action: 'mail_message.read', objectType: 'mail_message', objectId: id })
    return message
  })
}
