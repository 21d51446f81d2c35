import { Type, type Static } from 'typebox'
import { ManagedFields } from '../../lib/crud.ts'
import { DateOnly, Nullable, Page, PageQuery, Uuid } from '../../lib/schemas.ts'
import { ActiveFilter } from '../trainees/trainees-schemas.ts'

const EndsOn = Nullable(Type.String({ format: 'date', maxLength: 10, description: 'Last day (inclusive), on or after startsOn; null while open-ended.' }))

export const AssignmentSchema = Type.Object({
  ...ManagedFields,
  supervisorId: Uuid,
  traineeId: Uuid,
  startsOn: DateOnly,
  endsOn: EndsOn
}, { description: 'A supervisor may observe a trainee from startsOn to endsOn.' })

export const CreateAssignmentBody = Type.Object({
  supervisorId: Uuid,
  traineeId: Uuid,
  startsOn: DateOnly,
  endsOn: Type.Optional(EndsOn)
}, { additionalProperties: false })

/** Who is assigned to whom is fixed; a different pairing is a new assignment. */
export const UpdateAssignmentBody = Type.Object({
  startsOn: Type.Optional(DateOnly),
  endsOn: Type.Optional(EndsOn)
}, { additionalProperties: false })

export const AssignmentListQuery = Type.Object({
  ...PageQuery,
  supervisorId: Type.Optional(Uuid),
  traineeId: Type.Optional(Uuid),
  current: Type.Optional(Type.Boolean({ description: 'true: active and today within its dates; false: all others.' })),
  active: ActiveFilter
}, { additionalProperties: false })

export const AssignmentPage = Page(AssignmentSchema)

export type CreateAssignment = Static<typeof CreateAssignmentBody>
export type UpdateAssignment = Static<typeof UpdateAssignmentBody>
export type AssignmentListFilter = Static<typeof AssignmentListQuery>
