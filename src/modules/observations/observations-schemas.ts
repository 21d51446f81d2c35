import { Type, type Static } from 'typebox'
import { Count, DateOnly, DateTime, Nullable, PageQuery, Uuid, Page } from '../../lib/schemas.ts'
import { MODALITIES } from '../../lib/modality.ts'

const Text = (maxLength: number, description?: string) =>
  Type.String({ maxLength, ...(description ? { description } : {}) })
const NarrativeText = (description: string) => Nullable(Text(10_000, description))

export const ObservationStatus = Type.Enum(['draft', 'submitted', 'acknowledged'])
export const Modality = Type.Enum([...MODALITIES])
export const RevisionKind = Type.Enum(['created', 'draft_saved', 'submitted', 'amended', 'acknowledged'])

export const ScoreInput = Type.Object({
  criterionKey: Type.String({ minLength: 1, maxLength: 100 }),
  level: Type.Optional(Nullable(Type.Integer({
    minimum: 0, maximum: 100,
    description: 'A level value of the rubric scale. On an update, `level: null` (without notObserved) removes the score.'
  }))),
  notObserved: Type.Optional(Type.Boolean({ description: 'true: the behaviour could not be observed in this session (only where the criterion allows it).' })),
  evidence: Type.Optional(Nullable(Text(4000, 'What the supervisor saw or heard that supports the score.')))
}, {
  additionalProperties: false,
  description: 'Entries merge by criterionKey: give a level, or notObserved: true, or only evidence to annotate an existing score.'
})

/** What a supervisor may edit while drafting, and later through an amendment. */
const editable = {
  sessionDate: DateOnly,
  durationMinutes: Type.Integer({ minimum: 1, maximum: 1440 }),
  setting: Type.String({ minLength: 1, maxLength: 200, description: 'Where the session took place, e.g. "hospice room".' }),
  modality: Modality,
  contextNote: Nullable(Text(2000, 'Context of the session. De-identified: never a client name.')),
  scores: Type.Array(ScoreInput, { maxItems: 200 }),
  strengths: NarrativeText('What went well.'),
  areasForGrowth: NarrativeText('What to work on.'),
  actionPlan: NarrativeText('Agreed next steps.')
}

export const CreateObservationBody = Type.Object({
  traineeId: Uuid,
  supervisorId: Type.Optional(Type.String({ format: 'uuid', maxLength: 36, description: 'Required for admins; supervisors record their own observations.' })),
  sessionDate: editable.sessionDate,
  durationMinutes: editable.durationMinutes,
  setting: editable.setting,
  modality: editable.modality,
  contextNote: Type.Optional(editable.contextNote),
  scores: Type.Optional(editable.scores),
  strengths: Type.Optional(editable.strengths),
  areasForGrowth: Type.Optional(editable.areasForGrowth),
  actionPlan: Type.Optional(editable.actionPlan),
  submit: Type.Optional(Type.Boolean({ description: 'Create and submit at once; every required criterion must then be scored.' }))
}, { additionalProperties: false })

const editableOptional = {
  sessionDate: Type.Optional(editable.sessionDate),
  durationMinutes: Type.Optional(editable.durationMinutes),
  setting: Type.Optional(editable.setting),
  modality: Type.Optional(editable.modality),
  contextNote: Type.Optional(editable.contextNote),
  scores: Type.Optional(editable.scores),
  strengths: Type.Optional(editable.strengths),
  areasForGrowth: Type.Optional(editable.areasForGrowth),
  actionPlan: Type.Optional(editable.actionPlan)
}

export const UpdateObservationBody = Type.Object(editableOptional, { additionalProperties: false, minProperties: 1 })

export const AmendObservationBody = Type.Object({
  reason: Type.String({ minLength: 1, maxLength: 2000, pattern: '\\S', description: 'Why the submitted observation is being changed.' }),
  ...editableOptional
}, { additionalProperties: false })

export const AcknowledgeBody = Type.Object({
  comment: Type.Optional(Nullable(Text(2000, 'The trainee\'s response to the feedback.')))
}, { additionalProperties: false })

export const ListObservationsQuery = Type.Object({
  traineeId: Type.Optional(Uuid),
  supervisorId: Type.Optional(Uuid),
  programId: Type.Optional(Uuid),
  status: Type.Optional(ObservationStatus),
  from: Type.Optional(Type.String({ format: 'date', maxLength: 10, description: 'Sessions on or after this date (YYYY-MM-DD).' })),
  to: Type.Optional(Type.String({ format: 'date', maxLength: 10, description: 'Sessions on or before this date (YYYY-MM-DD).' })),
  ...PageQuery
}, { additionalProperties: false })

export const RevisionParams = Type.Object({
  id: Uuid,
  revision: Type.Integer({ minimum: 1, maximum: 1_000_000 })
}, { additionalProperties: false })

/** Narrative fields are optional in the schema because integrators never receive them. */
export const ScoreView = Type.Object({
  areaKey: Text(63),
  criterionKey: Text(100),
  criterionTitle: Text(200),
  level: Nullable(Type.Integer({ minimum: 0, maximum: 100 })),
  levelLabel: Nullable(Text(60)),
  notObserved: Type.Boolean(),
  evidence: Type.Optional(Nullable(Text(4000)))
})

export const SummaryView = Type.Object({
  areas: Type.Array(Type.Object({
    areaKey: Text(63),
    title: Text(200),
    score: Nullable(Type.Number({ description: 'Weighted mean of the area\'s scored level values, 2 decimals.' })),
    scoredCriteria: Count({ maximum: 50 }),
    totalCriteria: Count({ maximum: 50 })
  }), { maxItems: 20 }),
  overall: Nullable(Type.Number({ description: 'Weighted mean of the area scores, 2 decimals.' }))
})

export const ObservationView = Type.Object({
  id: Uuid,
  status: ObservationStatus,
  revision: Count({ minimum: 1 }),
  traineeId: Uuid,
  supervisorId: Uuid,
  programId: Uuid,
  rubric: Type.Object({ id: Uuid, key: Text(63), version: Type.Integer({ minimum: 1, maximum: 1_000_000 }) }),
  sessionDate: DateOnly,
  durationMinutes: editable.durationMinutes,
  setting: Text(200),
  modality: Modality,
  contextNote: Type.Optional(Nullable(Text(2000))),
  scores: Type.Array(ScoreView, { maxItems: 1000 }),
  strengths: Type.Optional(Nullable(Text(10_000))),
  areasForGrowth: Type.Optional(Nullable(Text(10_000))),
  actionPlan: Type.Optional(Nullable(Text(10_000))),
  submittedAt: Nullable(DateTime),
  acknowledgedAt: Nullable(DateTime),
  acknowledgementComment: Type.Optional(Nullable(Text(2000))),
  createdAt: DateTime,
  updatedAt: DateTime,
  summary: SummaryView
})

export const ObservationPage = Page(ObservationView)

export const RevisionView = Type.Object({
  revision: Count({ minimum: 1 }),
  kind: RevisionKind,
  reason: Type.Optional(Nullable(Type.String({ maxLength: 2000, description: 'Why an amendment was made (free text: not shown to integrators).' }))),
  actor: Nullable(Type.Object({ accountId: Uuid, name: Text(200) })),
  createdAt: DateTime,
  snapshot: ObservationView
})

export const HistoryView = Type.Object({ items: Type.Array(RevisionView, { maxItems: 1_000_000 }) })

export type ScoreInput = Static<typeof ScoreInput>
export type CreateObservationBody = Static<typeof CreateObservationBody>
export type UpdateObservationBody = Static<typeof UpdateObservationBody>
export type AmendObservationBody = Static<typeof AmendObservationBody>
export type AcknowledgeBody = Static<typeof AcknowledgeBody>
export type ListObservationsQuery = Static<typeof ListObservationsQuery>
export type ObservationView = Static<typeof ObservationView>
export type ScoreView = Static<typeof ScoreView>
export type RevisionView = Static<typeof RevisionView>
export type HistoryView = Static<typeof HistoryView>
/** The editable fields of a draft or an amendment, all optional. */
export type ObservationEdits = UpdateObservationBody
