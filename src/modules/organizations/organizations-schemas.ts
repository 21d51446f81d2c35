import { Type, type Static } from 'typebox'
import { ManagedFields } from '../../lib/crud.ts'
import { PageQuery, Page } from '../../lib/schemas.ts'

const Name = Type.String({ minLength: 1, maxLength: 200 })
const ProvisioningRole = Type.Union([Type.Literal('trainee'), Type.Literal('supervisor')], {
  description: 'The role of a person provisioned through SCIM whose identity provider sends none; trainee unless an admin changes it.'
})
const TimeZone = Type.String({
  minLength: 1, maxLength: 64, examples: ['Europe/London'],
  description: 'IANA time zone in which the organization\'s "today" and "N days" are counted: its daily jobs (reminders, eligibility as time passes) and eligibility\'s "as of" date. UTC unless set.'
})

export const OrganizationSchema = Type.Object({
  ...ManagedFields,
  name: Name,
  provisioningRole: ProvisioningRole,
  timeZone: TimeZone
}, { description: 'An employer site: the hospice, the school district, the clinic.' })

export const CreateOrganizationBody = Type.Object({ name: Name, timeZone: Type.Optional(TimeZone) }, { additionalProperties: false })
export const UpdateOrganizationBody = Type.Object({
  name: Type.Optional(Name),
  provisioningRole: Type.Optional(ProvisioningRole),
  timeZone: Type.Optional(TimeZone)
}, { additionalProperties: false })

export const OrganizationListQuery = Type.Object({
  ...PageQuery,
  active: Type.Optional(Type.Boolean({ description: 'Only active (true) or deactivated (false) records; both when omitted.' }))
}, { additionalProperties: false })

export const OrganizationPage = Page(OrganizationSchema)

export type CreateOrganization = Static<typeof CreateOrganizationBody>
export type UpdateOrganization = Static<typeof UpdateOrganizationBody>
export type OrganizationListFilter = Static<typeof OrganizationListQuery>
