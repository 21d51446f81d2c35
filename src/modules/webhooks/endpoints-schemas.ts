import { Type, type Static } from 'typebox'
import { DateTime, Nullable, Page, PageQuery, Uuid } from '../../lib/schemas.ts'

const EventTypes = Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
  minItems: 1, maxItems: 50, uniqueItems: true,
  description: 'Event types from the catalog (README "Events and webhooks"); an unknown one answers 400 `event-type-unknown`.'
})
const Url = Type.String({
  minLength: 8, maxLength: 2000, format: 'uri',
  description: 'Where deliveries are POSTed: https, no user or password, a public address (checked again after DNS at every delivery). ' +
    'http and private or loopback addresses only with WEBHOOK_ALLOW_PRIVATE=true.'
})
const Description = Type.String({ maxLength: 500 })

export const WebhookEndpointSchema = Type.Object({
  id: Uuid,
  organizationId: Nullable(Uuid),
  ownerAccountId: Uuid,
  url: Type.String({ maxLength: 2000 }),
  eventTypes: Type.Array(Type.String({ maxLength: 100 }), { maxItems: 50 }),
  description: Nullable(Type.String({ maxLength: 500 })),
  active: Type.Boolean({ description: 'False once deactivated, by hand or by the service (see disabledReason); deactivated endpoints stay readable.' }),
  disabledReason: Nullable(Type.Union([Type.Literal('manual'), Type.Literal('gone'), Type.Literal('failing'), Type.Literal('owner')], {
    description: '`manual`: deactivated through the API; `gone`: it answered 410; `failing`: it failed for 5 days without a success.'
  })),
  disabledAt: Nullable(DateTime),
  failingSince: Nullable(Type.String({ format: 'date-time', maxLength: 40, description: 'The first failure since the last success; null while it succeeds.' })),
  previousSecretExpiresAt: Nullable(Type.String({ format: 'date-time', maxLength: 40, description: 'After a rotation, the old secret signs alongside the new one until then.' })),
  createdAt: DateTime,
  updatedAt: DateTime
}, { description: 'A webhook endpoint: an admin\'s receives every organization\'s events, an integrator\'s its organization\'s. Its secret is shown once, when created or rotated.' })

const Secret = Type.String({ maxLength: 100, description: 'The signing secret (`whsec_` + base64), shown only in this answer: it is stored encrypted.' })

export const CreatedWebhookEndpointSchema = Type.Object({ ...WebhookEndpointSchema.properties, secret: Secret })

export const CreateWebhookEndpointBody = Type.Object({
  url: Url,
  eventTypes: EventTypes,
  description: Type.Optional(Description)
}, { additionalProperties: false, examples: [{ url: 'https://hr.example.org/rapport-hooks', eventTypes: ['certificate.issued', 'trainee.created'], description: 'HR sync' }] })

export const UpdateWebhookEndpointBody = Type.Object({
  description: Type.Optional(Nullable(Description)),
  url: Type.Optional(Url),
  eventTypes: Type.Optional(EventTypes)
}, { additionalProperties: false })

export const WebhookEndpointListQuery = Type.Object({
  ...PageQuery,
  active: Type.Optional(Type.Boolean())
}, { additionalProperties: false })

export const WebhookEndpointPage = Page(WebhookEndpointSchema)

export type CreateWebhookEndpoint = Static<typeof CreateWebhookEndpointBody>
export type UpdateWebhookEndpoint = Static<typeof UpdateWebhookEndpointBody>
export type WebhookEndpoint = Static<typeof WebhookEndpointSchema>
export type CreatedWebhookEndpoint = Static<typeof CreatedWebhookEndpointSchema>
