import { and, asc, eq, gt, inArray, max, sql, type SQL } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { eventConsumers, events } from '../../db/schema/index.ts'
import { RETENTION_HORIZON } from '../../events/retention.ts'

export type EventRow = Pick<typeof events.$inferSelect, 'feedSeq' | 'eventId' | 'type' | 'occurredAt' | 'subjectType' | 'subjectId' | 'data'>

/**
 * Where the feed stands: `horizon`, the highest position retention deleted (a cursor below it may
 * have missed events: 410), and `head`, the highest position numbered so far. Read before a page:
 * every position at or below `head` is committed or will never exist (relays number one at a time
 * and commit in order), so a reader that found nothing more may move its cursor up to it.
 */
export async function feedBounds(db: Db): Promise<{ horizon: number; head: number }> {
  const [row] = await db.select({
    horizon: sql<string | number | null>`(select ${eventConsumers.lastSeq} from ${eventConsumers} where ${eq(eventConsumers.name, RETENTION_HORIZON)})`,
    head: sql<string | number | null>`(select ${max(events.feedSeq)} from ${events})`
  }).from(sql`(select 1) as one`)
  return { horizon: Number(row?.horizon ?? 0), head: Number(row?.head ?? 0) }
}

/** Numbered events after `after` in feed order, within `scope` (policy.ts eventScope), of `types` if given. */
export async function listFeed(db: Db, q: { after: number; scope: SQL | undefined; types: string[] | undefined; limit: number }): Promise<EventRow[]> {
  return db.select({
    feedSeq: events.feedSeq, eventId: events.eventId, type: events.type, occurredAt: events.occurredAt,
    subjectType: events.subjectType, subjectId: events.subjectId, data: events.data
  }).from(events)
    .where(and(gt(events.feedSeq, q.after), q.scope, q.types === undefined ? undefined : inArray(events.type, q.types)))
    .orderBy(asc(events.feedSeq))
    .limit(q.limit)
}
