import { eq, type SQL } from 'drizzle-orm'
import { cohorts } from '../../db/schema/index.ts'

export const cohortFilters = (q: { programId?: string | undefined }): SQL | undefined =>
  q.programId === undefined ? undefined : eq(cohorts.programId, q.programId)
