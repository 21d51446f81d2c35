import { Type, type Static } from 'typebox'
import { Count, DateOnly, Label, Uuid } from '../../lib/schemas.ts'

export const CohortReportQuery = Type.Object({
  organizationId: Type.Optional(Uuid),
  from: Type.Optional({ ...DateOnly, description: 'Only sessions on or after this day.' }),
  to: Type.Optional({ ...DateOnly, description: 'Only sessions on or before this day (on or after from).' }),
  inactiveDays: Type.Integer({
    minimum: 1, maximum: 3650, default: 30,
    description: 'Flag trainees with no observation in the last N days: the last one is more than N days before asOf, or there is none.'
  }),
  asOf: Type.Optional({ ...DateOnly, description: 'The day "days since last observation" counts to; today (UTC) when omitted.' })
}, { additionalProperties: false })

export type CohortReportFilter = Static<typeof CohortReportQuery>

export const WeakestCriterionSchema = Type.Object({
  areaKey: Label({ maxLength: 63 }),
  areaTitle: Label({ maxLength: 200 }),
  criterionKey: Label({ maxLength: 63 }),
  criterionTitle: Label({ maxLength: 200 }),
  meanLevel: Type.Number({ description: 'Mean level value over the latest observation of each trainee that scored it, two decimals.' }),
  trainees: Count({ description: 'How many trainees\' latest observations scored this criterion.' })
})

export const WeakestCriteriaSchema = Type.Object({
  cohortId: Uuid,
  rubricVersionId: Uuid,
  items: Type.Array(WeakestCriterionSchema, { maxItems: 1000, description: 'Lowest mean level first; criteria nobody was scored on are left out.' })
})

export type WeakestCriterion = Static<typeof WeakestCriterionSchema>

/** One trainee's line of the cohort report; the PDF and the CSV are both drawn from these. */
export interface CohortTraineeRow {
  traineeId: string
  name: string
  email: string
  organization: string
  externalHrId: string | null
  observations: number
  acknowledged: number
  supervisors: number
  lastObservationOn: string | null
  daysSinceLastObservation: number | null
  inactive: boolean
  /** In the order of the rubric's areas; null where the latest observation scored nothing there. */
  areaScores: Array<number | null>
  overall: number | null
  /** Null when the program has no eligibility rules. */
  eligibility: 'eligible' | 'close' | 'not_eligible' | null
  /** The rules not met, in words. */
  unmetRules: string[]
}
