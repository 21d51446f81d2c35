import { Type, type Static } from 'typebox'
import { DateTime, Nullable, Page, PageQuery, Uuid } from '../../lib/schemas.ts'

export const AuditEventSchema = Type.Object({
  id: Type.Integer({ description: 'Increases with every event: the log\'s order.' }),
  occurredAt: DateTime,
  actorAccountId: Nullable(Uuid),
  action: Type.String({ description: 'What was done, as <objectType>.<verb>, e.g. account.deactivate or observation.read.' }),
  objectType: Type.String(),
  objectId: Type.String(),
  changes: Nullable(Type.Object({}, {
    additionalProperties: true,
    description: 'What changed: the values of a new record, or { field: { from, to } } for a change. Never secrets.'
  })),
  requestId: Nullable(Type.String({ description: 'The x-request-id of the request that did it.' }))
})

export const AuditEventPage = Page(AuditEventSchema)

export const AuditEventQuery = Type.Object({
  ...PageQuery,
  objectType: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  objectId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  actorAccountId: Type.Optional(Uuid),
  action: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Events at or after this instant.' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Events before this instant.' }))
}, { additionalProperties: false })

export type AuditEvent = Static<typeof AuditEventSchema>
export type AuditEventFilter = Static<typeof AuditEventQuery>
