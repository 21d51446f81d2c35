import { Type, type Static } from 'typebox'

const Key = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'Stable identifier: lower-case letters, digits and hyphens.' })
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
  areas: Type.Array(AreaSchema, { minItems: 1, maxItems: 20 })
}, { additionalProperties: false })

export type RubricDefinition = Static<typeof RubricDefinitionSchema>
export type RubricArea = Static<typeof AreaSchema>
export type RubricCriterion = Static<typeof CriterionSchema>
