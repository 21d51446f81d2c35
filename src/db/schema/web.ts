import { index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'
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
  expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull()
}, (t) => [index('web_sessions_account_idx').on(t.accountId)])

/** A one-time link for a person to set their password (first time, or after a reset by an admin or coordinator). */
export const accountInvitations = pgTable('account_invitations', {
  tokenHash: text('token_hash').primaryKey(),
  accountId: uuid('account_id').notNull().references(() => accounts.id),
  createdBy: uuid('created_by').references(() => accounts.id),
  createdAt: createdAt(),
  expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  usedAt: timestamp('used_at', { withTimezone: true, mode: 'date' })
}, (t) => [index('account_invitations_account_idx').on(t.accountId)])

/** Failed sign-ins per email, to slow guessing down (shared by every instance of the service). */
export const signInThrottle = pgTable('sign_in_throttle', {
  key: text('key').primaryKey(),
  failures: integer('failures').notNull().default(0),
  lastFailureAt: timestamp('last_failure_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  blockedUntil: timestamp('blocked_until', { withTimezone: true, mode: 'date' })
})
