import { sql } from 'drizzle-orm'
import { bigint, bigserial, index, jsonb, pgSequence, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core'
import { at } from './columns.ts'

/**
 * The feed's order. Drawn by the relay alone (src/events/relay.ts), one relay at a time, after the
 * events' transactions committed. CACHE 1 (the default) matters: with a per-session cache two
 * instances' relays would hand out interleaved ranges.
 */
export const eventsFeedSeq = pgSequence('events_feed_seq', { startWith: 1, increment: 1, cache: 1 })

/**
 * The transactional outbox and the 30-day feed: one row per thing that happened, written in the
 * transaction of the change it reports (src/events/record.ts). `feed_seq` stays null until the
 * relay numbers the committed row; only numbered rows are in the feed. Scope keys say who may read
 * it: integrators of any of `organization_ids`, coordinators of any of `program_ids`. Rows change
 * only by getting their `feed_seq`, and leave only by retention (a trigger in the migration).
 */
export const events = pgTable('events', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  eventId: uuid('event_id').notNull().default(sql`gen_random_uuid()`).unique('events_event_id_unique'),
  feedSeq: bigint('feed_seq', { mode: 'number' }).unique('events_feed_seq_unique'),
  type: text('type').notNull(),
  occurredAt: at('occurred_at').notNull().defaultNow(),
  subjectType: text('subject_type').notNull(),
  subjectId: uuid('subject_id').notNull(),
  organizationIds: uuid('organization_ids').array().notNull().default(sql`'{}'::uuid[]`),
  programIds: uuid('program_ids').array().notNull().default(sql`'{}'::uuid[]`),
  actorAccountId: uuid('actor_account_id'),
  requestId: text('request_id'),
  data: jsonb('data').$type<Record<string, unknown>>().notNull()
}, (t) => [
  index('events_unsequenced_idx').on(t.id).where(sql`${t.feedSeq} is null`),
  index('events_occurred_idx').on(t.occurredAt)
])

/** How far each internal reader of the feed has got; advanced in the transaction of its handler's writes. */
export const eventConsumers = pgTable('event_consumers', {
  name: text('name').primaryKey(),
  lastSeq: bigint('last_seq', { mode: 'number' }).notNull().default(0),
  updatedAt: at('updated_at').notNull().defaultNow()
})

/** A period a scheduled job ran for (an organization's local date): the claim and the work commit together, once. */
export const scheduleRuns = pgTable('schedule_runs', {
  job: text('job').notNull(),
  scopeId: uuid('scope_id').notNull(),
  period: text('period').notNull(),
  ranAt: at('ran_at').notNull().defaultNow()
}, (t) => [primaryKey({ columns: [t.job, t.scopeId, t.period] })])

/** A reminder that went out for an object (an observation to acknowledge, a draft left open): never twice. */
export const remindersSent = pgTable('reminders_sent', {
  kind: text('kind').notNull(),
  objectId: uuid('object_id').notNull(),
  sentAt: at('sent_at').notNull().defaultNow()
}, (t) => [primaryKey({ columns: [t.kind, t.objectId] })])
