import { Type, type Static } from 'typebox'
import { DateTime, Uuid } from '../../lib/schemas.ts'

const Domain = Type.String({
  minLength: 3, maxLength: 253, format: 'hostname', pattern: '^(?=.{3,253}$)([a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\\.)+[a-zA-Z]{2,63}$',
  description: 'A work-email domain (the part after @), e.g. hospice.example.org; compared case-insensitively.'
})

const Fields = {
  displayName: Type.String({ minLength: 1, maxLength: 100, description: 'Shown on the sign-in button: "Sign in with <displayName>".' }),
  issuer: Type.String({
    minLength: 8, maxLength: 500, pattern: '^https?://[^\\s]+$', format: 'uri',
    description: 'The OpenID Provider\'s issuer URL, exactly as its discovery document names it (https).'
  }),
  clientId: Type.String({ minLength: 1, maxLength: 500, description: 'The client (application) id Rapport is registered under at the provider.' }),
  emailDomains: Type.Array(Domain, { minItems: 1, maxItems: 20, uniqueItems: true, description: 'The work-email domains whose people this provider signs in.' }),
  requireSso: Type.Boolean({ description: 'True: the organization\'s people (trainees and supervisors) can no longer sign in with a password.' })
}

export const IdentityProviderSchema = Type.Object({
  id: Uuid,
  organizationId: Uuid,
  ...Fields,
  redirectUri: Type.String({ maxLength: 600, description: 'The redirect (callback) URI to register at the provider.' }),
  startUrl: Type.String({ maxLength: 600, description: 'Starts a sign-in with this provider: for an IdP-initiated tile (Okta "Initiate login URI").' }),
  createdAt: DateTime,
  updatedAt: DateTime
}, { description: 'An organization\'s OpenID Connect identity provider. The client secret is write-only: it is never returned.' })

export const PutIdentityProviderBody = Type.Object({
  displayName: Fields.displayName,
  clientId: Fields.clientId,
  emailDomains: Fields.emailDomains,
  requireSso: Type.Optional(Fields.requireSso),
  issuer: Type.Optional(Type.String({ ...Fields.issuer, description: `The OpenID Provider's issuer URL, exactly as its discovery document names it (https). Required when the organization has no provider yet; omitted, the stored one is kept. Checked by discovery whenever it changes.` })),
  clientSecret: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, description: 'Write-only. Required when the organization has no provider yet; omitted, the stored one is kept.' }))
}, {
  additionalProperties: false,
  examples: [{
    displayName: 'Hillside Hospice', issuer: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0',
    clientId: '11111111-1111-1111-1111-111111111111', clientSecret: 'the client secret', emailDomains: ['hillside.example.org'], requireSso: false
  }]
})

export const OrganizationParams = Type.Object({ id: Uuid }, { additionalProperties: false })

export type PutIdentityProvider = Static<typeof PutIdentityProviderBody>
