import { Type, type Static } from 'typebox'
import { DateTime, Uuid } from '../../lib/schemas.ts'

export const ProgramOrganizationParams = Type.Object({ id: Uuid, organizationId: Uuid }, { additionalProperties: false })

export const ProgramOrganizationSchema = Type.Object({
  programId: Uuid,
  organizationId: Uuid,
  organizationName: Type.String({ maxLength: 200 }),
  organizationActive: Type.Boolean(),
  createdAt: DateTime
}, { description: 'The program serves the organization: its trainees may be placed in the program\'s cohorts, its supervisors assigned to them, and the program\'s coordinators reach its people.' })

export const ProgramOrganizationList = Type.Object({
  items: Type.Array(ProgramOrganizationSchema, { maxItems: 100_000, description: 'Every organization the program serves, by name.' })
})

export type ProgramOrganization = Static<typeof ProgramOrganizationSchema>
