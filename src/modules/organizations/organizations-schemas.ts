import { Type, type Static } from 'typebox'
import { ManagedFields } from '../../lib/crud.ts'
import { PageQuery, Page } from '../../lib/schemas.ts'

const Name = Type.String({ minLength: 1, maxLength: 200 })
const ProvisioningRole = Type.Union([Type.Literal('trainee'), Type.Literal('supervisor')], {
  description: 'The role of a person provisioned through SCIM whose identity provider sends none; trainee unless an admin changes it.'
})

export const OrganizationSchema = Type.Object({
  ...ManagedFields,
  name: Name,
  provisioningRole: ProvisioningRole
}, { description: 'An employer site: the hospice, the school district, the clinic.' })

export const CreateOrganizationBody = Type.Object({ name: Name }, { additionalProperties: false })
export const UpdateOrganizationBody = Type.Object({
  name: Type.Optional(Name),
  provisioningRole: Type.Optional(ProvisioningRole)
}, { additionalProperties: false })

export const OrganizationListQuery = Type.Object({
  ...PageQuery,
  active: Type.Optional(Type.Boolean({ description: 'Only active (true) or deactivated (false) records; both when omitted.' }))
}, { additionalProperties: false })

export const OrganizationPage = Page(OrganizationSchema)

export type CreateOrganization = Static<typeof CreateOrganizationBody>
export type UpdateOrganization = Static<typeof UpdateOrganizationBody>
export type OrganizationListFilter = Static<typeof OrganizationListQuery>
