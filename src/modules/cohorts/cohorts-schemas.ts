import { Type, type Static } from 'typebox'
import { ManagedFields } from '../../lib/crud.ts'
import { DateOnly, Nullable, Page, PageQuery, Uuid } from '../../lib/schemas.ts'

const Name = Type.String({ minLength: 1, maxLength: 200 })

export const CohortSchema = Type.Object({
  ...ManagedFields,
  programId: Uuid,
  name: Name,
  startsOn: Nullable(DateOnly),
  endsOn: Nullable(DateOnly)
}, { description: 'A group of trainees taking a programme together.' })

export const CreateCohortBody = Type.Object({
  programId: Uuid,
  name: Name,
  startsOn: Type.Optional(Nullable(DateOnly)),
  endsOn: Type.Optional(Nullable(DateOnly))
}, { additionalProperties: false })

/** A cohort stays in its programme: its trainees' observations are scored under that programme's rubric. */
export const UpdateCohortBody = Type.Object({
  name: Type.Optional(Name),
  startsOn: Type.Optional(Nullable(DateOnly)),
  endsOn: Type.Optional(Nullable(DateOnly))
}, { additionalProperties: false })

export const CohortListQuery = Type.Object({
  ...PageQuery,
  programId: Type.Optional(Uuid),
  active: Type.Optional(Type.Boolean({ description: 'Only active (true) or deactivated (false) records; both when omitted.' }))
}, { additionalProperties: false })

export const CohortPage = Page(CohortSchema)

export type CreateCohort = Static<typeof CreateCohortBody>
export type UpdateCohort = Static<typeof UpdateCohortBody>
export type CohortListFilter = Static<typeof CohortListQuery>
