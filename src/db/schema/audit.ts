import { bigserial, index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'

/** Append-only audit trail; triggers in the migrations reject UPDATE, DELETE and TRUNCATE. */
export const auditEvents = pgTable('audit_events', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  occurredAt: timestamp('occurred_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  actorAccountId: uuid('actor_account_id'),
  action: text('action').notNull(),
  objectType: text('object_type').notNull(),
  objectId: text('object_id').notNull(),
  changes: jsonb('changes').$type<Record<string, unknown>>(),
  requestId: text('request_id')
}, (t) => [
  index('audit_events_object_idx').on(t.objectType, t.objectId),
  index('audit_events_actor_idx').on(t.actorAccountId, t.occurredAt)
])
