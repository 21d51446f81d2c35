import { sql } from 'drizzle-orm'
import { check, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { apiKeys } from './accounts.ts'
import { createdAt } from './columns.ts'

/**
 * One row per Idempotency-Key an API key sent with a POST (IETF httpapi draft): while the request
 * runs it is an in-flight marker (`lockToken`, `lockedUntil`), then the stored answer (`status`,
 * `headers`, `body`) or, for an answer that showed a secret, only what it created (`created`).
 * Kept in the database, not in memory, so that a retry reaching another instance is answered alike.
 */
export const idempotencyKeys = pgTable('idempotency_keys', {
  apiKeyId: uuid('api_key_id').notNull().references(() => apiKeys.id),
  key: text('key').notNull(),
  /** SHA-256 (hex) of method, path with query and body bytes: the same key with another request is refused. */
  requestDigest: text('request_digest').notNull(),
  /** The claim of the request executing now; null once its answer is stored. */
  lockToken: uuid('lock_token'),
  /** A claim older than this was left by a crash (or ran too long): the key may be used again. */
  lockedUntil: timestamp('locked_until', { withTimezone: true, mode: 'date' }),
  status: integer('status'),
  /** The answer's content-type, location and etag. */
  headers: jsonb('headers').$type<Record<string, string>>(),
  body: text('body'),
  /** For an answer that revealed a secret: what it created (`kind`, `id`, `url`), never the secret. */
  created: jsonb('created').$type<{ kind: string; id: string; url: string }>(),
  createdAt: createdAt(),
  expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull()
}, (t) => [
  primaryKey({ columns: [t.apiKeyId, t.key] }),
  index('idempotency_keys_expires_idx').on(t.expiresAt),
  check('idempotency_keys_state', sql`(${t.lockToken} is null) = (${t.status} is not null)`)
])
