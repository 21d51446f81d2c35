import { Type, type Static } from 'typebox'
import { Count, DateTime, Nullable, Page, PageQuery, Uuid } from '../../lib/schemas.ts'

export const MappedRole = Type.Union([Type.Literal('trainee'), Type.Literal('supervisor')], {
  description: 'What membership makes a person; never coordinator or admin.'
})

export const ScimGroupSchema = Type.Object({
  id: Uuid,
  organizationId: Uuid,
  displayName: Type.String({ maxLength: 200 }),
  externalId: Nullable(Type.String({ maxLength: 200, description: 'The identity provider\'s id of the group.' })),
  memberCount: Count({ description: 'How many SCIM Users are in the group.' }),
  mapping: Type.Object({
    role: Nullable(MappedRole),
    cohortId: Nullable(Uuid)
  }, { description: 'What membership does: a role, a cohort, or nothing (both null).' }),
  createdAt: DateTime,
  updatedAt: DateTime
}, { description: 'A SCIM group pushed by the organization\'s identity provider, with its mapping.' })

export const ScimGroupPage = Page(ScimGroupSchema)

export const ScimGroupListQuery = Type.Object({
  ...PageQuery,
  organizationId: Type.Optional(Uuid)
}, { additionalProperties: false })

export const GroupMappingBody = Type.Object({
  role: Type.Optional(MappedRole),
  cohortId: Type.Optional(Uuid)
}, {
  additionalProperties: false,
  description: 'Exactly one of role (admins only) or cohortId (a cohort of a programme serving the group\'s organization).',
  examples: [{ cohortId: '7d1c2f4e-5b6a-4c3d-8e9f-0a1b2c3d4e5f' }]
})

export type ScimGroupListFilter = Static<typeof ScimGroupListQuery>
export type GroupMapping = Static<typeof GroupMappingBody>
