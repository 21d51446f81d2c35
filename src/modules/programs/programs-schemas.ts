import { Type, type Static } from 'typebox'
import { ManagedFields } from '../../lib/crud.ts'
import { Nullable, Page, PageQuery, Uuid } from '../../lib/schemas.ts'

const Name = Type.String({ minLength: 1, maxLength: 200 })
const Description = Nullable(Type.String({ minLength: 1, maxLength: 4000 }))
const RubricKey = Type.String({ maxLength: 63, pattern: '^[a-z0-9][a-z0-9-]{1,62}$', description: 'Key of the rubric, e.g. therapeutic-relationship.' })
const ReminderDays = (who: string) => Nullable(Type.Integer({
  minimum: 1, maximum: 365,
  description: `${who} Days are counted in the organization's time zone; null (the default) sends no such reminder.`
}))
const AcknowledgeReminderDays = ReminderDays('Days after an observation is submitted until its trainee is reminded (once, by email) to acknowledge it.')
const DraftReminderDays = ReminderDays('Days a draft stays open until its supervisor is reminded (once, by email) to finish it.')
const RubricVersion = Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'A published version number of that rubric.' })

export const ProgramSchema = Type.Object({
  ...ManagedFields,
  name: Name,
  description: Description,
  rubricKey: RubricKey,
  rubricVersion: RubricVersion,
  rubricVersionId: Uuid,
  acknowledgeReminderDays: AcknowledgeReminderDays,
  draftReminderDays: DraftReminderDays
}, { description: 'A certificate programme, pinned to the rubric version its observations are scored under.' })

export const CreateProgramBody = Type.Object({
  name: Name,
  description: Type.Optional(Description),
  rubricKey: RubricKey,
  rubricVersion: RubricVersion,
  acknowledgeReminderDays: Type.Optional(AcknowledgeReminderDays),
  draftReminderDays: Type.Optional(DraftReminderDays)
}, { additionalProperties: false })

/** The rubric pin is fixed at creation: a programme on another rubric version is a new programme. */
export const UpdateProgramBody = Type.Object({
  name: Type.Optional(Name),
  description: Type.Optional(Description),
  acknowledgeReminderDays: Type.Optional(AcknowledgeReminderDays),
  draftReminderDays: Type.Optional(DraftReminderDays)
}, { additionalProperties: false })

export const ProgramListQuery = Type.Object({
  ...PageQuery,
  active: Type.Optional(Type.Boolean({ description: 'Only active (true) or deactivated (false) records; both when omitted.' }))
}, { additionalProperties: false })

export const ProgramPage = Page(ProgramSchema)

export type CreateProgram = Static<typeof CreateProgramBody>
export type UpdateProgram = Static<typeof UpdateProgramBody>
export type ProgramListFilter = Static<typeof ProgramListQuery>
