import { bigint, index, integer, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core'
import { accounts } from './accounts.ts'
import { at, createdAt } from './columns.ts'

/**
 * Sign-in attempts per key (an account's email, an account at one of its usual addresses, a client
 * address, a second-factor check), shared by every instance of the service. An attempt is counted
 * before the password is checked; `last_attempt_id` tells the counting statement's caller whether
 * its own attempt was let through.
 */
export const signInThrottle = pgTable('sign_in_throttle', {
  key: text('key').primaryKey(),
  attempts: integer('attempts').notNull().default(0),
  lastAttemptAt: at('last_attempt_at').notNull().defaultNow(),
  lastAttemptId: uuid('last_attempt_id'),
  blockedUntil: at('blocked_until')
})

/** Addresses an account signed in from successfully: guesses from elsewhere do not lock them out. */
export const accountKnownAddresses = pgTable('account_known_addresses', {
  accountId: uuid('account_id').notNull().references(() => accounts.id),
  address: text('address').notNull(),
  lastSignInAt: at('last_sign_in_at').notNull().defaultNow()
}, (t) => [primaryKey({ columns: [t.accountId, t.address] })])

/**
 * A person's TOTP secret (RFC 6238), encrypted with the secrets key. `enabled_at` is null while
 * enrolment waits for its first code; `last_used_step` keeps a code from working twice.
 */
export const accountTotp = pgTable('account_totp', {
  accountId: uuid('account_id').primaryKey().references(() => accounts.id),
  secret: text('secret').notNull(),
  enabledAt: at('enabled_at'),
  lastUsedStep: bigint('last_used_step', { mode: 'number' }),
  createdAt: createdAt()
})

/** One-time recovery codes, stored as keyed hashes (HMAC with the secrets key). */
export const accountRecoveryCodes = pgTable('account_recovery_codes', {
  accountId: uuid('account_id').notNull().references(() => accounts.id),
  codeHash: text('code_hash').notNull(),
  usedAt: at('used_at'),
  createdAt: createdAt()
}, (t) => [primaryKey({ columns: [t.accountId, t.codeHash] }), index('account_recovery_codes_account_idx').on(t.accountId)])
