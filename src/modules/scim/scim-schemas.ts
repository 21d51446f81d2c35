import { Type, type Static } from 'typebox'

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8'

/** The schema URNs of RFC 7643 and 7644, and Rapport's own extension for what SCIM has no word for. */
export const URN = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  enterprise: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  rapport: 'urn:ietf:params:scim:schemas:extension:rapport:2.0:User',
  list: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  patch: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  error: 'urn:ietf:params:scim:api:messages:2.0:Error',
  serviceProviderConfig: 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig',
  resourceType: 'urn:ietf:params:scim:schemas:core:2.0:ResourceType',
  schema: 'urn:ietf:params:scim:schemas:core:2.0:Schema'
} as const

/** The most resources one list page holds (ServiceProviderConfig filter.maxResults); a larger `count` is cut to it (RFC 7644 §3.4.2.4). */
export const MAX_RESULTS = 200

const Text = (maxLength: number) => Type.String({ maxLength })

/** RFC 7644 §3.4.2: the query of a list (GET /Users). Numbers arrive as text and are read leniently, as the RFC asks. */
export const ListQuery = Type.Object({
  filter: Type.Optional(Text(4000)),
  startIndex: Type.Optional(Text(12)),
  count: Type.Optional(Text(12)),
  sortBy: Type.Optional(Text(200)),
  sortOrder: Type.Optional(Text(20)),
  attributes: Type.Optional(Text(2000)),
  excludedAttributes: Type.Optional(Text(2000))
  // Other parameters are ignored, not refused: Entra keeps its tenant URL's flags (?aadOptscim062020) on every request.
}, { additionalProperties: Type.String({ maxLength: 200 }) })

/** `attributes` / `excludedAttributes` on a single resource (RFC 7644 §3.9). */
export const ResourceQuery = Type.Object({
  attributes: Type.Optional(Text(2000)),
  excludedAttributes: Type.Optional(Text(2000))
}, { additionalProperties: Type.String({ maxLength: 200 }) })

/** SCIM ids are opaque to clients: anything that is not one of ours is simply not found (404, not 400). */
export const ScimIdParams = Type.Object({ id: Text(100) }, { additionalProperties: false })

/**
 * A resource body is checked attribute by attribute in the mapping (with SCIM's invalidValue), not by a
 * closed schema: identity providers send attributes Rapport does not keep (`locale`, `password`,
 * `groups`) and RFC 7643 §2.1 says unknown ones are ignored.
 */
export const ResourceBody = Type.Object({
  schemas: Type.Optional(Type.Array(Text(200), { maxItems: 10 }))
}, { additionalProperties: true })

export const PatchBody = Type.Object({
  schemas: Type.Optional(Type.Array(Text(200), { maxItems: 10 })),
  Operations: Type.Array(Type.Object({
    op: Text(20),
    path: Type.Optional(Text(1000)),
    value: Type.Optional(Type.Unknown())
  }, { additionalProperties: true }), { minItems: 1, maxItems: 1000 })
}, { additionalProperties: true })

export type ListQuery = Static<typeof ListQuery>
export type ResourceQuery = Static<typeof ResourceQuery>
export type PatchBody = Static<typeof PatchBody>
export type PatchOperation = PatchBody['Operations'][number]
export type ScimResource = Record<string, unknown>
