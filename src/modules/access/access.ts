import { and, eq, exists, gte, inArray, isNull, lte, ne, or, sql, type SQL, type SQLWrapper } from 'drizzle-orm'
import { assignments, cohorts, observations, trainees } from '../../db/schema/index.ts'
import type { Principal } from '../../lib/request-context.ts'

/**
 * Who may see what. Every query over trainees or observations adds one of these conditions, so an
 * object outside the caller's scope is simply not found (404), exactly as if it did not exist.
 *
 * - admin: everything
 * - coordinator: trainees in cohorts of their programs; observations in their programs
 * - supervisor: trainees with a current assignment to them; observations they made
 * - trainee: themself; their own observations once submitted
 * - integrator: trainees of their organization; their submitted observations, without free text
 */
const NOTHING = sql`false`

/** An assignment that has not ended and was not deactivated. Values may be placeholders of a prepared query. */
export function currentAssignment(supervisorId: string | SQLWrapper, traineeId: SQL | typeof trainees.id, onDate: SQLWrapper | string = sql`current_date`): SQL {
  return exists(
    sql`(select 1 from ${assignments} where ${and(
      eq(assignments.supervisorId, supervisorId),
      eq(assignments.traineeId, traineeId),
      eq(assignments.active, true),
      lte(assignments.startsOn, onDate),
      or(isNull(assignments.endsOn), gte(assignments.endsOn, onDate))
    )})`
  )
}

const inPrograms = (programIds: string[]) =>
  programIds.length === 0 ? NOTHING : inArray(cohorts.programId, programIds)

/** Condition on `trainees` for a query that selects from trainees. */
export function traineeScope(p: Principal): SQL | undefined {
  switch (p.role) {
    case 'admin': return undefined
    case 'coordinator': return p.programIds.length === 0
      ? NOTHING
      : exists(sql`(select 1 from ${cohorts} where ${and(eq(cohorts.id, trainees.cohortId), inPrograms(p.programIds))})`)
    case 'supervisor': return p.supervisorId ? currentAssignment(p.supervisorId, trainees.id) : NOTHING
    case 'trainee': return p.traineeId ? eq(trainees.id, p.traineeId) : NOTHING
    case 'integrator': return p.organizationId ? eq(trainees.organizationId, p.organizationId) : NOTHING
  }
}

/** Condition on `observations` for a query that selects from observations. */
export function observationScope(p: Principal): SQL | undefined {
  switch (p.role) {
    case 'admin': return undefined
    case 'coordinator': return p.programIds.length === 0 ? NOTHING : inArray(observations.programId, p.programIds)
    case 'supervisor': return p.supervisorId ? eq(observations.supervisorId, p.supervisorId) : NOTHING
    case 'trainee': return p.traineeId
      ? and(eq(observations.traineeId, p.traineeId), ne(observations.status, 'draft'))
      : NOTHING
    case 'integrator': return p.organizationId
      ? and(
          ne(observations.status, 'draft'),
          exists(sql`(select 1 from ${trainees} where ${and(eq(trainees.id, observations.traineeId), eq(trainees.organizationId, p.organizationId))})`)
        )
      : NOTHING
  }
}

/** Integrators connect HR systems: they never receive evidence or other narrative notes. */
export const seesNarrative = (p: Principal): boolean => p.role !== 'integrator'
