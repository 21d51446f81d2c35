import { sql } from 'drizzle-orm'
import { check, index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { accounts } from './accounts.ts'
import { createdAt } from './columns.ts'

/**
 * People sign in to the web pages with email and password. Session and invitation tokens are
 * stored only as SHA-256 hashes, like API keys: a database leak does not hand out sessions.
 */
export const webSessions = pgTable('web_sessions', {
  tokenHash: text('token_hash').primaryKey(),
  accountId: uuid('account_id').notNull().references(() => accounts.id),
  /** The session's anti-CSRF token, sent back in every form. */
  csrfToken: text('csrf_token').notNull(),
  createdAt: createdAt(),
  lastSeenAt: timestamp('last_seen_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  /**
   * Set while the password was right but sign-in is not finished: 'second-factor' (a code is due)
   * or 'enrol' (two-factor is required and not yet set up). Such a session reaches no page.
   */
  pending: text('pending')
}, (t) => [
  index('web_sessions_account_idx').on(t.accountId),
  check('web_sessions_pending', sql`${t.pending} in ('second-factor', 'enrol')`)
])

/**
 * A one-time link for a person to set their password: an invitation (the account has none yet) or
 * a password reset an admin made (the account has one).
 */
export const accountInvitations = pgTable('account_invitations', {
  tokenHash: text('token_hash').primaryKey(),
  accountId: uuid('account_id').notNull().references(() => accounts.id),
  purpose: text('purpose').notNull().default('invitation'),
  createdBy: uuid('created_by').references(() => accounts.id),
  createdAt: createdAt(),
  expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  usedAt: timestamp('used_at', { withTimezone: true, mode: 'date' })
}, (t) => [
  index('account_invitations_account_idx').on(t.accountId),
  check('account_invitations_purpose', sql`${t.purpose} in ('invitation', 'password-reset')`)
])
