import { and, eq, inArray, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { assignments, cohorts, trainees } from '../../db/schema/index.ts'
import type { FieldProblem } from '../../errors.ts'
import { currentAssignment } from '../access/access.ts'
import type { Principal } from '../../lib/request-context.ts'

/**
 * Coordinators give the people of their programs access: trainees of their cohorts, and the
 * supervisors currently assigned to those trainees. Anything else is answered as if it did not
 * exist (the same problem as an unknown id), so the check reveals nothing outside their scope.
 */
export async function coordinatorAccountProblems(db: Db, p: Principal, target: { role: string; traineeId?: string | null; supervisorId?: string | null }): Promise<FieldProblem[]> {
  if (p.role !== 'coordinator') return []
  if (target.role !== 'trainee' && target.role !== 'supervisor') {
    return [{ pointer: '/role', detail: 'a coordinator creates trainee and supervisor accounts only' }]
  }
  const inPrograms = p.programIds.length === 0 ? sql`false` : inArray(cohorts.programId, p.programIds)
  if (target.role === 'trainee') {
    const [row] = target.traineeId
      ? await db.select({ id: trainees.id }).from(trainees).innerJoin(cohorts, eq(cohorts.id, trainees.cohortId)).where(and(eq(trainees.id, target.traineeId), inPrograms))
      : []
    return row ? [] : [{ pointer: '/traineeId', detail: `no trainee with id ${target.traineeId ?? ''} in your programs` }]
  }
  const [row] = target.supervisorId
    ? await db.select({ id: assignments.id }).from(assignments)
      .innerJoin(trainees, eq(trainees.id, assignments.traineeId)).innerJoin(cohorts, eq(cohorts.id, trainees.cohortId))
      .where(and(eq(assignments.supervisorId, target.supervisorId), inPrograms, currentAssignment(target.supervisorId, trainees.id))).limit(1)
    : []
  return row ? [] : [{ pointer: '/supervisorId', detail: `no supervisor with id ${target.supervisorId ?? ''} assigned to a trainee of your programs` }]
}
