import { Type, type Static } from 'typebox'
import { ManagedFields } from '../../lib/crud.ts'
import { SyncPage, UpdatedSince } from '../../lib/delta-sync.ts'
import { PageQuery, Uuid } from '../../lib/schemas.ts'
import { ActiveFilter, Discipline, Email, ExternalHrId, HrIdFilter, PersonName, TextQuery } from '../trainees/trainees-schemas.ts'

export const SupervisorSchema = Type.Object({
  ...ManagedFields,
  organizationId: Uuid,
  name: PersonName,
  email: Email,
  discipline: Discipline,
  externalHrId: ExternalHrId
}, { description: 'A practitioner who observes trainees\' sessions.' })

export const CreateSupervisorBody = Type.Object({
  organizationId: Uuid,
  name: PersonName,
  email: Email,
  discipline: Type.Optional(Discipline),
  externalHrId: Type.Optional(ExternalHrId)
}, { additionalProperties: false })

export const UpdateSupervisorBody = Type.Object({
  organizationId: Type.Optional(Uuid),
  name: Type.Optional(PersonName),
  email: Type.Optional(Email),
  discipline: Type.Optional(Discipline),
  externalHrId: Type.Optional(ExternalHrId)
}, { additionalProperties: false })

export const SupervisorListQuery = Type.Object({
  ...PageQuery,
  organizationId: Type.Optional(Uuid),
  externalHrId: HrIdFilter,
  active: ActiveFilter,
  q: TextQuery,
  updatedSince: UpdatedSince
}, { additionalProperties: false })

export const SupervisorPage = SyncPage(SupervisorSchema)

export type CreateSupervisor = Static<typeof CreateSupervisorBody>
export type UpdateSupervisor = Static<typeof UpdateSupervisorBody>
export type SupervisorListFilter = Static<typeof SupervisorListQuery>
