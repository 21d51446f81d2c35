import { sql } from 'drizzle-orm'
import { check, index, integer, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core'
import { accounts } from './accounts.ts'
import { at, createdAt, id } from './columns.ts'

/**
 * The mail outbox, written in the transaction of what the message reports (src/mail/queue.ts).
 * A worker sends `pending` messages over SMTP; without SMTP they are `kept` for admins to read at
 * /admin/mail. Bodies are cleared once SMTP accepted the message, so no link lingers. A `request`
 * row (a forgot-password request) carries only `vars`; the worker decides what, if anything, to send.
 */
export const mailMessages = pgTable('mail_messages', {
  id: id(),
  template: text('template').notNull(),
  accountId: uuid('account_id').references(() => accounts.id),
  toAddress: text('to_address').notNull(),
  subject: text('subject'),
  textBody: text('text_body'),
  htmlBody: text('html_body'),
  vars: jsonb('vars').$type<Record<string, unknown>>(),
  state: text('state', { enum: ['pending', 'sending', 'sent', 'kept', 'failed', 'dropped'] }).notNull().default('pending'),
  attempts: integer('attempts').notNull().default(0),
  nextAttemptAt: at('next_attempt_at').notNull().defaultNow(),
  leaseUntil: at('lease_until'),
  error: text('error'),
  createdAt: createdAt(),
  sentAt: at('sent_at')
}, (t) => [
  index('mail_messages_due_idx').on(t.nextAttemptAt).where(sql`${t.state} in ('pending', 'sending')`),
  index('mail_messages_created_idx').on(t.createdAt),
  check('mail_messages_state', sql`${t.state} in ('pending', 'sending', 'sent', 'kept', 'failed', 'dropped')`)
])
