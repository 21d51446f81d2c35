import { Type, type Static } from 'typebox'
import { Count, DateTime, Nullable, Page, PageQuery, Uuid } from '../../lib/schemas.ts'

export const DeliveryState = Type.Union([Type.Literal('pending'), Type.Literal('sending'), Type.Literal('succeeded'), Type.Literal('failed')])

export const WebhookAttemptSchema = Type.Object({
  attempt: Count({ minimum: 1 }),
  startedAt: DateTime,
  latencyMs: Nullable(Count()),
  status: Nullable(Type.Integer({ minimum: 100, maximum: 999, description: 'The answer\'s HTTP status; null when none came (see error).' })),
  error: Nullable(Type.String({ maxLength: 100, description: 'What went wrong instead of an answer: ECONNREFUSED, ETIMEDOUT, EADDRBLOCKED (a non-public address), ...' })),
  responseExcerpt: Nullable(Type.String({ maxLength: 1100, description: 'The first KiB of the answer\'s body, control characters removed; a redirect\'s location first.' })),
  manual: Type.Boolean({ description: 'Asked for by hand (POST /v1/webhook-deliveries/{id}/retry).' })
})

export const WebhookDeliverySchema = Type.Object({
  id: Uuid,
  endpointId: Uuid,
  eventId: Uuid,
  eventType: Type.String({ maxLength: 100 }),
  webhookId: Type.String({ maxLength: 60, description: 'The `webhook-id` header: `msg_` + the event id, the same for every attempt, retry and replay.' }),
  state: DeliveryState,
  attemptsMade: Count(),
  nextAttemptAt: Nullable(Type.String({ format: 'date-time', maxLength: 40, description: 'While pending: when the next attempt is due.' })),
  lastStatus: Nullable(Type.Integer({ minimum: 100, maximum: 999 })),
  lastError: Nullable(Type.String({ maxLength: 100 })),
  manual: Type.Boolean({ description: 'Created by a replay.' }),
  createdAt: DateTime,
  completedAt: Nullable(DateTime),
  attempts: Type.Array(WebhookAttemptSchema, { maxItems: 100, description: 'Every recorded attempt, first to last (at most the last 100).' })
})

export const DeliveryListQuery = Type.Object({
  ...PageQuery,
  state: Type.Optional(DeliveryState)
}, { additionalProperties: false })

export const WebhookDeliveryPage = Page(WebhookDeliverySchema)

export const ReplayBody = Type.Object({
  from: Type.String({ format: 'date-time', maxLength: 40, description: 'Events that occurred at or after this instant...' }),
  to: Type.String({ format: 'date-time', maxLength: 40, description: '...and before this one.' })
}, { additionalProperties: false, examples: [{ from: '2026-11-30T00:00:00Z', to: '2026-12-01T00:00:00Z' }] })

export const ReplayResult = Type.Object({
  queued: Count({ description: 'New deliveries (marked manual), one per matching event, sent with the events\' own webhook-ids.' })
})

export type WebhookDelivery = Static<typeof WebhookDeliverySchema>
export type Replay = Static<typeof ReplayBody>
