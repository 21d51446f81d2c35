import { Type, type Static } from 'typebox'
import { DateTime, Label, Nullable, Page, PageQuery, Uuid } from '../../lib/schemas.ts'

export const AuditEventSchema = Type.Object({
  id: Type.Integer({ format: 'int64', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Increases with every event: the log\'s order.' }),
  occurredAt: DateTime,
  actorAccountId: Nullable(Uuid),
  action: Label({ maxLength: 100, description: 'What was done, as <objectType>.<verb>, e.g. account.deactivate or observation.read.' }),
  objectType: Label({ maxLength: 100 }),
  objectId: Label({ maxLength: 200 }),
  changes: Nullable(Type.Object({}, {
    additionalProperties: true,
    description: 'What changed: the values of a new record, or { field: { from, to } } for a change. Never secrets.'
  })),
  requestId: Nullable(Type.String({ maxLength: 200, description: 'The x-request-id of the request that did it.' }))
})

export const AuditEventPage = Page(AuditEventSchema)

export const AuditEventQuery = Type.Object({
  ...PageQuery,
  objectType: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  objectId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  actorAccountId: Type.Optional(Uuid),
  action: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  from: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'Events at or after this instant.' })),
  to: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'Events before this instant.' }))
}, { additionalProperties: false })

export type AuditEvent = Static<typeof AuditEventSchema>
export type AuditEventFilter = Static<typeof AuditEventQuery>
