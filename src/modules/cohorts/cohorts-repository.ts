import { and, eq, exists, inArray, sql, type SQL } from 'drizzle-orm'
import { cohorts, trainees } from '../../db/schema/index.ts'
import type { Principal } from '../../lib/request-context.ts'
import { currentAssignment } from '../access/access.ts'

const NOTHING = sql`false`

/**
 * Which cohorts the caller may see: coordinators those of their programmes; a supervisor those of
 * trainees currently assigned to them; a trainee their own. Integrators none.
 */
export function cohortScope(p: Principal): SQL | undefined {
  switch (p.role) {
    case 'admin': return undefined
    case 'coordinator': return p.programIds.length === 0 ? NOTHING : inArray(cohorts.programId, p.programIds)
    case 'supervisor': return p.supervisorId
      ? exists(sql`(select 1 from ${trainees} where ${and(eq(trainees.cohortId, cohorts.id), currentAssignment(p.supervisorId, trainees.id))})`)
      : NOTHING
    case 'trainee': return p.traineeId
      ? exists(sql`(select 1 from ${trainees} where ${and(eq(trainees.id, p.traineeId), eq(trainees.cohortId, cohorts.id))})`)
      : NOTHING
    case 'integrator': return NOTHING
  }
}

export const cohortFilters = (q: { programId?: string | undefined }): SQL | undefined =>
  q.programId === undefined ? undefined : eq(cohorts.programId, q.programId)
