import { Type, type Static } from 'typebox'
import { EligibilityRulesSchema } from '../eligibility/eligibility-schemas.ts'

const Key = Type.String({ maxLength: 63, pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'Stable identifier: lower-case letters, digits and hyphens.' })
const Text = (maxLength: number) => Type.String({ minLength: 1, maxLength })

export const ScaleLevelSchema = Type.Object({
  value: Type.Integer({ minimum: 0, maximum: 100 }),
  label: Text(60)
}, { additionalProperties: false })

export const CriterionLevelSchema = Type.Object({
  value: Type.Integer({ minimum: 0, maximum: 100 }),
  descriptor: Text(2000)
}, { additionalProperties: false })

export const CriterionSchema = Type.Object({
  key: Key,
  title: Text(200),
  description: Type.Optional(Text(2000)),
  weight: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100 })),
  required: Type.Optional(Type.Boolean({ description: 'Must be scored (or marked not observed) before submission. Default true.' })),
  allowNotObserved: Type.Optional(Type.Boolean({ description: 'Whether "not observed" is an acceptable score. Default false.' })),
  levels: Type.Array(CriterionLevelSchema, { minItems: 2, maxItems: 10, description: 'One behavioural descriptor per scale level, in scale order.' })
}, { additionalProperties: false })

export const AreaSchema = Type.Object({
  key: Key,
  title: Text(200),
  description: Type.Optional(Text(2000)),
  weight: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100 })),
  criteria: Type.Array(CriterionSchema, { minItems: 1, maxItems: 50 })
}, { additionalProperties: false })

/** The content of one rubric version: what a score means. */
export const RubricDefinitionSchema = Type.Object({
  title: Text(200),
  description: Type.Optional(Text(4000)),
  scale: Type.Array(ScaleLevelSchema, { minItems: 2, maxItems: 10, description: 'Performance levels, lowest first.' }),
  areas: Type.Array(AreaSchema, { minItems: 1, maxItems: 20 }),
  eligibility: Type.Optional({ ...EligibilityRulesSchema, description: 'Default certificate eligibility rules for programs on this rubric (each program may set its own).' })
}, { additionalProperties: false })

export type RubricDefinition = Static<typeof RubricDefinitionSchema>
export type RubricArea = Static<typeof AreaSchema>
export type RubricCriterion = Static<typeof CriterionSchema>

/** A rubric's stable key (the database accepts 2 to 63 characters). */
export const RubricKey = Type.String({ maxLength: 63, pattern: '^[a-z0-9][a-z0-9-]{1,62}$', description: 'Stable identifier of the rubric: lower-case letters, digits and hyphens.' })

/** A rubric file: its key plus the definition's fields at the top level. */
export const RubricFileSchema = Type.Object({
  key: RubricKey,
  ...RubricDefinitionSchema.properties
}, { additionalProperties: false })

export type RubricFile = Static<typeof RubricFileSchema>

// ---- API payloads -------------------------------------------------------------------------------

const VersionNumber = Type.Integer({ minimum: 1, maximum: 1_000_000 })
const Timestamp = Type.String({ format: 'date-time', maxLength: 40 })
const Status = Type.Union([Type.Literal('draft'), Type.Literal('published')])
const Publish = Type.Optional(Type.Boolean({ default: false, description: 'Publish at once instead of leaving a draft.' }))

export const CreateRubricBody = Type.Object({ key: RubricKey, definition: RubricDefinitionSchema, publish: Publish }, { additionalProperties: false })
export const CreateVersionBody = Type.Object({ definition: RubricDefinitionSchema, publish: Publish }, { additionalProperties: false })
export const UpdateVersionBody = Type.Object({ definition: RubricDefinitionSchema }, { additionalProperties: false })

export const KeyParams = Type.Object({ key: RubricKey }, { additionalProperties: false })
export const VersionParams = Type.Object({ key: RubricKey, version: VersionNumber }, { additionalProperties: false })
export const VersionOrLatestParams = Type.Object({
  key: RubricKey,
  version: Type.String({ maxLength: 7, pattern: '^(latest|[1-9][0-9]{0,6})$', description: 'A version number, or `latest` for the latest published version.' })
}, { additionalProperties: false })

export const RubricVersionSummary = Type.Object({
  id: Type.String({ format: 'uuid', maxLength: 36 }),
  version: VersionNumber,
  status: Status,
  title: Type.String({ maxLength: 200 }),
  contentHash: Type.String({ maxLength: 64, pattern: '^[0-9a-f]{64}$', description: 'sha256 of the canonical JSON of the definition.' }),
  createdAt: Timestamp,
  publishedAt: Type.Union([Timestamp, Type.Null()])
})

export const RubricVersion = Type.Object({
  ...RubricVersionSummary.properties,
  rubricId: Type.String({ format: 'uuid', maxLength: 36 }),
  key: RubricKey,
  definition: RubricDefinitionSchema
})

export const RubricSummary = Type.Object({
  id: Type.String({ format: 'uuid', maxLength: 36 }),
  key: RubricKey,
  title: Type.String({ maxLength: 200, description: 'Title of the latest published version (of the draft when none is published).' }),
  latestPublishedVersion: Type.Union([VersionNumber, Type.Null()]),
  draftVersion: Type.Union([VersionNumber, Type.Null()], { description: 'The open draft; always null for roles other than admin.' }),
  createdAt: Timestamp
})

export const RubricDetail = Type.Object({
  ...RubricSummary.properties,
  versions: Type.Array(RubricVersionSummary, { maxItems: 1_000_000, description: 'Newest first; drafts are shown to admins only.' })
})

export type RubricVersionView = Static<typeof RubricVersion>
export type RubricVersionSummaryView = Static<typeof RubricVersionSummary>
export type RubricSummaryView = Static<typeof RubricSummary>
export type RubricDetailView = Static<typeof RubricDetail>
