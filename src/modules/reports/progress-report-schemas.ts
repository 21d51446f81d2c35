import { Type, type Static } from 'typebox'
import { Uuid } from '../../lib/schemas.ts'

export const ProgressReportQuery = Type.Object({
  programId: Type.Optional({ ...Uuid, description: 'The program to report on; the program of the trainee\'s cohort when omitted.' })
}, { additionalProperties: false })

export type ProgressReportQuery = Static<typeof ProgressReportQuery>
