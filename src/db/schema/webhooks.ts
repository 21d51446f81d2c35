import { sql } from 'drizzle-orm'
import { bigserial, boolean, check, index, integer, pgTable, text, unique, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core'
import { accounts } from './accounts.ts'
import { active, at, createdAt, id, updatedAt } from './columns.ts'
import { events } from './events.ts'
import { organizations } from './structure.ts'

/**
 * A receiver of signed webhooks (Standard Webhooks), registered by an admin (every organization's
 * events: `organization_id` null) or an integrator (their organization's). Secrets are sealed with
 * the secrets key; after a rotation the previous one keeps signing until `previous_expires_at`.
 * Deactivated, never deleted.
 */
export const webhookEndpoints = pgTable('webhook_endpoints', {
  id: id(),
  ownerAccountId: uuid('owner_account_id').notNull().references(() => accounts.id),
  organizationId: uuid('organization_id').references(() => organizations.id),
  url: text('url').notNull(),
  eventTypes: text('event_types').array().notNull(),
  description: text('description'),
  active: active(),
  secretSealed: text('secret_sealed').notNull(),
  previousSecretSealed: text('previous_secret_sealed'),
  previousExpiresAt: at('previous_expires_at'),
  /** The first failure after the last success; cleared by a success. */
  failingSince: at('failing_since'),
  disabledReason: text('disabled_reason'),
  disabledAt: at('disabled_at'),
  revision: integer('revision').notNull().default(1),
  createdAt: createdAt(),
  updatedAt: updatedAt()
}, (t) => [
  index('webhook_endpoints_organization_idx').on(t.organizationId),
  index('webhook_endpoints_owner_idx').on(t.ownerAccountId),
  check('webhook_endpoints_disabled_reason', sql`${t.disabledReason} is null or ${t.disabledReason} in ('manual', 'gone', 'failing', 'owner')`)
])

/**
 * One event to send to one endpoint, retried until it succeeds or its schedule ends. A worker
 * claims it (`sending`, `lease_until`) with FOR UPDATE SKIP LOCKED; its result is fenced by
 * `attempts`, so a worker back after its lease expired cannot overwrite a newer attempt.
 */
export const webhookDeliveries = pgTable('webhook_deliveries', {
  id: id(),
  endpointId: uuid('endpoint_id').notNull().references(() => webhookEndpoints.id),
  eventId: uuid('event_id').notNull().references(() => events.eventId, { onDelete: 'cascade' }),
  state: text('state', { enum: ['pending', 'sending', 'succeeded', 'failed'] }).notNull().default('pending'),
  attempts: integer('attempts').notNull().default(0),
  nextAttemptAt: at('next_attempt_at').notNull().defaultNow(),
  leaseUntil: at('lease_until'),
  lastStatus: integer('last_status'),
  lastError: text('last_error'),
  /** Asked for by hand (a replay); the fan-out's deliveries are unique per endpoint and event. */
  manual: boolean('manual').notNull().default(false),
  /** Someone asked for another attempt by hand: the next attempt is recorded as manual. */
  retryRequested: boolean('retry_requested').notNull().default(false),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
  completedAt: at('completed_at')
}, (t) => [
  // The claim's two ways in: deliveries due, and sends whose lease ran out (in-flight sends are in neither's way).
  index('webhook_deliveries_due_idx').on(t.nextAttemptAt).where(sql`${t.state} = 'pending'`),
  index('webhook_deliveries_lease_idx').on(t.leaseUntil).where(sql`${t.state} = 'sending'`),
  index('webhook_deliveries_endpoint_idx').on(t.endpointId, t.createdAt),
  index('webhook_deliveries_event_idx').on(t.eventId),
  uniqueIndex('webhook_deliveries_fan_out_unique').on(t.endpointId, t.eventId).where(sql`not ${t.manual}`),
  check('webhook_deliveries_state', sql`${t.state} in ('pending', 'sending', 'succeeded', 'failed')`)
])

/** Every attempt of a delivery: when, how long, the answer's status and the first KiB of its body. */
export const webhookAttempts = pgTable('webhook_attempts', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  deliveryId: uuid('delivery_id').notNull().references(() => webhookDeliveries.id, { onDelete: 'cascade' }),
  attempt: integer('attempt').notNull(),
  startedAt: at('started_at').notNull(),
  latencyMs: integer('latency_ms'),
  status: integer('status'),
  error: text('error'),
  responseExcerpt: varchar('response_excerpt', { length: 1024 }),
  manual: boolean('manual').notNull().default(false)
}, (t) => [unique('webhook_attempts_delivery_attempt_unique').on(t.deliveryId, t.attempt)])
