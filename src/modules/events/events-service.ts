import type { Db } from '../../db/client.ts'
import { problem } from '../../errors.ts'
import { isEventType } from '../../events/catalog.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import { eventScope } from '../access/policy.ts'
import { decodeFeedCursor, encodeFeedCursor } from './feed-cursor.ts'
import { feedBounds, listFeed, type EventRow } from './events-repository.ts'
import type { EventFeedFilter, FeedEvent } from './events-schemas.ts'

function typesOf(list: string | undefined): string[] | undefined {
  if (list === undefined) return undefined
  const types = [...new Set(list.split(','))]
  const unknown = types.filter((t) => !isEventType(t))
  if (unknown.length > 0) {
    throw problem('event-type-unknown', `Not event types of the catalog: ${unknown.join(', ')}.`, {
      errors: unknown.map((t) => ({ pointer: '/query/types', detail: `${t} is not an event type` }))
    })
  }
  return types
}

const toItem = (row: EventRow): FeedEvent => ({
  id: row.eventId, type: row.type, occurredAt: row.occurredAt.toISOString(),
  subject: { type: row.subjectType, id: row.subjectId }, data: row.data
}) as FeedEvent

/**
 * A page of the feed, in feed order (the relay's numbering of committed events, src/events/relay.ts).
 * The next cursor is the page's last position, or, when the page ended the feed, the head read
 * before it: the positions skipped on the way were outside the caller's scope or filter, and none
 * below the head can still appear. So an empty page also moves the reader on.
 */
export async function listEvents(db: Db, ctx: RequestContext, q: EventFeedFilter): Promise<{ items: FeedEvent[]; nextCursor: string }> {
  const types = typesOf(q.types)
  const sent = q.after === undefined ? undefined : decodeFeedCursor(q.after)
  const { horizon, head } = await feedBounds(db)
  if (sent !== undefined && sent < horizon) {
    throw problem('cursor-expired', 'Events after this cursor have been deleted (the feed keeps EVENTS_RETENTION_DAYS days); '
      + 'start again without after and reconcile with the resources\' lists.')
  }
  const after = sent ?? horizon
  const rows = await listFeed(db, { after, scope: eventScope(ctx.principal), types, limit: q.limit })
  const last = rows[rows.length - 1]?.feedSeq ?? after
  const next = rows.length < q.limit ? Math.max(last, head, after) : last
  return { items: rows.map(toItem), nextCursor: encodeFeedCursor(next) }
}
