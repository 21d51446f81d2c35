import { Type, type Static } from 'typebox'
import { MODALITIES, type Modality } from '../../lib/modality.ts'
import { Count as Int32, DateOnly, DateTime, Label, Uuid } from '../../lib/schemas.ts'

/**
 * Eligibility rules are data: a list of rules of a few kinds, validated by this schema, stored in
 * versions with the program, shipped as defaults with a rubric. Every rule counts the trainee's
 * submitted (or acknowledged) observations in the program, inside the window when one is set.
 */
const Count = (description: string) => Type.Integer({ minimum: 1, maximum: 1000, description })
const Latest = Type.Integer({ minimum: 1, maximum: 100, description: 'How many of the trainee\'s latest observations the rule looks at.' })
const Level = (description: string) => Type.Number({ minimum: 0, maximum: 100, description })
const ModalityValue = Type.Unsafe<Modality>(Type.Union(MODALITIES.map((m) => Type.Literal(m))))

export const RuleSchemas = {
  minObservations: Type.Object({ kind: Type.Literal('minObservations'), count: Count('At least this many observations.') }, { additionalProperties: false }),
  minSupervisors: Type.Object({ kind: Type.Literal('minSupervisors'), count: Count('By at least this many distinct supervisors.') }, { additionalProperties: false }),
  minModality: Type.Object({
    kind: Type.Literal('minModality'), modality: ModalityValue, count: Count('At least this many observations in the modality.')
  }, { additionalProperties: false }),
  minSettings: Type.Object({ kind: Type.Literal('minSettings'), count: Count('In at least this many distinct settings.') }, { additionalProperties: false }),
  minMinutes: Type.Object({ kind: Type.Literal('minMinutes'), minutes: Type.Integer({ minimum: 1, maximum: 100_000, description: 'At least this many minutes of observed practice in total.' }) }, { additionalProperties: false }),
  areaMeans: Type.Object({
    kind: Type.Literal('areaMeans'), latest: Latest, minLevel: Level('Every skill area\'s mean over those observations is at or above this level.')
  }, { additionalProperties: false }),
  criterionFloor: Type.Object({
    kind: Type.Literal('criterionFloor'), latest: Latest, minLevel: Level('No criterion scored below this level in those observations.')
  }, { additionalProperties: false }),
  everyCriterionObserved: Type.Object({
    kind: Type.Literal('everyCriterionObserved'), times: Count('Every criterion of the rubric scored (not "not observed") at least this many times.')
  }, { additionalProperties: false }),
  window: Type.Object({
    kind: Type.Literal('window'), months: Type.Integer({ minimum: 1, maximum: 240, description: 'Only observations in the last N months count, for every rule; at least one must fall in it.' })
  }, { additionalProperties: false }),
  allAcknowledged: Type.Object({ kind: Type.Literal('allAcknowledged') }, { additionalProperties: false, description: 'Every observation that counts has been acknowledged by the trainee.' })
}

const R = RuleSchemas
export const RuleSchema = Type.Union([
  R.minObservations, R.minSupervisors, R.minModality, R.minSettings, R.minMinutes,
  R.areaMeans, R.criterionFloor, R.everyCriterionObserved, R.window, R.allAcknowledged
])
export type Rule = Static<typeof RuleSchema>
export type RuleKind = Rule['kind']

export const EligibilityRulesSchema = Type.Object({
  rules: Type.Array(RuleSchema, { minItems: 1, maxItems: 30 })
}, { additionalProperties: false, description: 'A certificate\'s eligibility rules: every rule must be met.' })
export type EligibilityRules = Static<typeof EligibilityRulesSchema>

export const RuleSetSchema = Type.Object({
  programId: Uuid,
  version: Int32({ description: '0 when the program has no rules of its own yet and uses its rubric\'s defaults.' }),
  source: Type.Union([Type.Literal('rubric'), Type.Literal('api')]),
  createdAt: Type.Union([DateTime, Type.Null()]),
  ...EligibilityRulesSchema.properties
})

export const ObservationRef = Type.Object({ id: Uuid, sessionDate: DateOnly })

export const RuleResultSchema = Type.Object({
  kind: Label({ maxLength: 100 }),
  rule: RuleSchema,
  /** What the rule asks for and what the trainee has, in the rule's own unit. */
  required: Type.Number(),
  actual: Type.Union([Type.Number(), Type.Null()]),
  met: Type.Boolean(),
  description: Label({ description: 'The rule in words.' }),
  missing: Type.Union([Label(), Type.Null()], { description: 'What is missing, in a plain sentence; null when met.' }),
  observations: Type.Array(ObservationRef, { maxItems: 100_000, description: 'The observations that counted for this rule.' })
})
export type RuleResult = Static<typeof RuleResultSchema>

export const EligibilitySchema = Type.Object({
  traineeId: Uuid,
  programId: Uuid,
  ruleSetVersion: Int32({ description: '0: the rubric\'s default rules.' }),
  asOf: DateOnly,
  eligible: Type.Boolean(),
  status: Type.Union([Type.Literal('eligible'), Type.Literal('close'), Type.Literal('not_eligible')]),
  message: Label({ description: 'The outcome in one sentence.' }),
  unmet: Int32({ maximum: 30, description: 'How many rules are not met.' }),
  evaluatedAt: DateTime,
  rules: Type.Array(RuleResultSchema, { maxItems: 30 })
})
export type Eligibility = Static<typeof EligibilitySchema>

export const EligibilityStatusSchema = Type.Union([Type.Literal('eligible'), Type.Literal('close'), Type.Literal('not_eligible')], {
  description: 'eligible: every rule met; close: exactly one rule not met; not_eligible: one or more rules not met (close included when filtering).'
})

const AsOf = Type.Optional(Type.String({ format: 'date', maxLength: 10, description: 'The day the rules are evaluated on (windows count back from it); today (UTC) when omitted.' }))
const TraineeAsOf = Type.Optional(Type.String({
  format: 'date', maxLength: 10,
  description: 'The day the rules are evaluated on (windows count back from it); today in the trainee\'s organization\'s time zone when omitted.'
}))

export const TraineeEligibilityQuery = Type.Object({
  programId: Type.Optional({ ...Uuid, description: 'The program; the program of the trainee\'s cohort when omitted.' }),
  asOf: TraineeAsOf
}, { additionalProperties: false })
export type TraineeEligibilityQuery = Static<typeof TraineeEligibilityQuery>

export const EligibilityListQuery = Type.Object({
  status: Type.Optional(EligibilityStatusSchema),
  asOf: AsOf,
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
  cursor: Type.Optional(Type.String({ maxLength: 400, description: 'Opaque cursor from a previous page\'s nextCursor.' }))
}, { additionalProperties: false })
export type EligibilityListQuery = Static<typeof EligibilityListQuery>

export const ProgramEligibilityQuery = Type.Object({
  ...EligibilityListQuery.properties,
  cohortId: Type.Optional({ ...Uuid, description: 'Only the trainees of this cohort of the program.' })
}, { additionalProperties: false })
export type ProgramEligibilityQuery = Static<typeof ProgramEligibilityQuery>

export const EligibilityListSchema = Type.Object({
  programId: Uuid,
  cohortId: Type.Union([Uuid, Type.Null()]),
  ruleSetVersion: Int32(),
  asOf: DateOnly,
  rules: Type.Array(Type.Object({ index: Int32({ maximum: 29 }), kind: Label({ maxLength: 100 }), description: Label() }), { maxItems: 30 }),
  summary: Type.Object({ trainees: Int32(), eligible: Int32(), close: Int32(), notEligible: Int32() }),
  items: Type.Array(Type.Object({
    traineeId: Uuid,
    name: Label({ maxLength: 200 }),
    cohortId: Uuid,
    status: EligibilityStatusSchema,
    unmet: Int32({ maximum: 30 }),
    unmetRules: Type.Array(Int32({ maximum: 29 }), { maxItems: 30, description: 'Indexes into rules of the rules not met.' }),
    actual: Type.Array(Type.Union([Type.Number(), Type.Null()]), { maxItems: 30, description: 'Per rule, what the trainee has (same order as rules).' })
  }), { maxItems: 500 }),
  nextCursor: Type.Union([Label({ maxLength: 400 }), Type.Null()])
})
export type EligibilityList = Static<typeof EligibilityListSchema>

export const RulesBody = EligibilityRulesSchema
