import { Type, type Static } from 'typebox'
import { ManagedFields } from '../../lib/crud.ts'
import { Page, PageQuery, Uuid } from '../../lib/schemas.ts'
import { ActiveFilter, Discipline, Email, PersonName, TextQuery } from '../trainees/trainees-schemas.ts'

export const SupervisorSchema = Type.Object({
  ...ManagedFields,
  organizationId: Uuid,
  name: PersonName,
  email: Email,
  discipline: Discipline
}, { description: 'A practitioner who observes trainees\' sessions.' })

export const CreateSupervisorBody = Type.Object({
  organizationId: Uuid,
  name: PersonName,
  email: Email,
  discipline: Type.Optional(Discipline)
}, { additionalProperties: false })

export const UpdateSupervisorBody = Type.Object({
  organizationId: Type.Optional(Uuid),
  name: Type.Optional(PersonName),
  email: Type.Optional(Email),
  discipline: Type.Optional(Discipline)
}, { additionalProperties: false })

export const SupervisorListQuery = Type.Object({
  ...PageQuery,
  organizationId: Type.Optional(Uuid),
  active: ActiveFilter,
  q: TextQuery
}, { additionalProperties: false })

export const SupervisorPage = Page(SupervisorSchema)

export type CreateSupervisor = Static<typeof CreateSupervisorBody>
export type UpdateSupervisor = Static<typeof UpdateSupervisorBody>
export type SupervisorListFilter = Static<typeof SupervisorListQuery>
