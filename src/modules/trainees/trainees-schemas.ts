import { Type, type Static } from 'typebox'
import { ManagedFields } from '../../lib/crud.ts'
import { SyncPage, UpdatedSince } from '../../lib/delta-sync.ts'
import { Nullable, PageQuery, Uuid } from '../../lib/schemas.ts'

/** Fields trainees and supervisors share. */
export const PersonName = Type.String({ minLength: 1, maxLength: 200 })
export const Email = Type.String({ format: 'email', maxLength: 254 })
export const Discipline = Nullable(Type.String({ minLength: 1, maxLength: 100, description: 'Professional discipline, e.g. nursing, social work.' }))
export const ActiveFilter = Type.Optional(Type.Boolean({ description: 'Only active (true) or deactivated (false) records; both when omitted.' }))
export const HrIdFilter = Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'The one person with this HR id (exactly as stored).' }))
export const TextQuery = Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Case-insensitive text the name or email contains.' }))

export const ExternalHrId = Nullable(Type.String({ minLength: 1, maxLength: 100, description: 'The id in the employer\'s HR system; unique within the organization.' }))

export const TraineeSchema = Type.Object({
  ...ManagedFields,
  organizationId: Uuid,
  cohortId: Nullable(Uuid),
  name: PersonName,
  email: Email,
  discipline: Discipline,
  externalHrId: ExternalHrId
}, { description: 'A person working towards the certificate.' })

const PlacedCohort = Nullable(Type.String({
  format: 'uuid', maxLength: 36,
  description: 'Coordinators must place the trainee in a cohort of their programmes; integrators in a cohort of a programme serving their organization, or in none.'
}))

export const CreateTraineeBody = Type.Object({
  organizationId: Uuid,
  cohortId: Type.Optional(PlacedCohort),
  name: PersonName,
  email: Email,
  discipline: Type.Optional(Discipline),
  externalHrId: Type.Optional(ExternalHrId)
}, { additionalProperties: false })

export const UpdateTraineeBody = Type.Object({
  organizationId: Type.Optional(Uuid),
  cohortId: Type.Optional(PlacedCohort),
  name: Type.Optional(PersonName),
  email: Type.Optional(Email),
  discipline: Type.Optional(Discipline),
  externalHrId: Type.Optional(ExternalHrId)
}, { additionalProperties: false })

export const TraineeListQuery = Type.Object({
  ...PageQuery,
  organizationId: Type.Optional(Uuid),
  cohortId: Type.Optional(Uuid),
  programId: Type.Optional(Uuid),
  externalHrId: HrIdFilter,
  active: ActiveFilter,
  q: TextQuery,
  updatedSince: UpdatedSince
}, { additionalProperties: false })

export const TraineePage = SyncPage(TraineeSchema)

export type CreateTrainee = Static<typeof CreateTraineeBody>
export type UpdateTrainee = Static<typeof UpdateTraineeBody>
export type TraineeListFilter = Static<typeof TraineeListQuery>
