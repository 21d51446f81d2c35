import { Type, type Static } from 'typebox'
import { EVENT_CATALOG, EVENT_TYPES } from '../../events/catalog.ts'
import { DateTime, Uuid } from '../../lib/schemas.ts'

export const FEED_PAGE_MAX = 200

export const EventFeedQuery = Type.Object({
  after: Type.Optional(Type.String({ maxLength: 200, description: 'The nextCursor of the previous page; omitted, the feed starts at the oldest event it keeps.' })),
  types: Type.Optional(Type.String({
    maxLength: 2000,
    description: `Comma-separated event types to return (others are skipped, the cursor still advances past them). One of: ${EVENT_TYPES.join(', ')}.`
  })),
  limit: Type.Integer({ format: 'int32', minimum: 1, maximum: FEED_PAGE_MAX, default: 50 })
}, { additionalProperties: false })

const Subject = (type: string) => Type.Object({
  type: Type.Literal(type, { description: 'The kind of record the event is about.' }),
  id: Uuid
}, { additionalProperties: false })

/** One item shape per catalog entry, told apart by `type` (the same as a webhook's body carries). */
const items = EVENT_TYPES.map((type) => {
  const kind = EVENT_CATALOG[type]
  return Type.Object({
    id: Uuid,
    type: Type.Literal(type),
    occurredAt: DateTime,
    subject: Subject(kind.subject),
    data: kind.data
  }, { additionalProperties: false, title: type, description: kind.description })
})

export const FeedEventSchema = Type.Union(items, {
  description: 'An event; `type` tells which (see the catalog in the README). `id` is stable: the webhook-id of its deliveries is `msg_` + id.'
})

export const EventFeedPage = Type.Object({
  items: Type.Array(FeedEventSchema, { maxItems: FEED_PAGE_MAX }),
  nextCursor: Type.String({
    maxLength: 200,
    description: 'Always present, also on an empty page: pass it as after to read what happened since. Poll with it; it never skips an event.'
  })
}, { additionalProperties: false })

export type FeedEvent = Static<typeof FeedEventSchema>
export type EventFeedFilter = Static<typeof EventFeedQuery>
