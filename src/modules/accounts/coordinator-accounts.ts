import { and, eq } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { supervisors, trainees } from '../../db/schema/index.ts'
import type { FieldProblem } from '../../errors.ts'
import type { Principal } from '../../lib/request-context.ts'
import { supervisorScope, traineeScope } from '../access/policy.ts'

/**
 * Coordinators give the people in their scope access (see accountScope in access/policy.ts): the
 * trainees and supervisors of the organizations their programmes serve. Anything else is answered
 * as if it did not exist (the same problem as an unknown id), so the check reveals nothing outside.
 */
export async function coordinatorAccountProblems(db: Db, p: Principal, target: { role: string; traineeId?: string | null; supervisorId?: string | null }): Promise<FieldProblem[]> {
  if (p.role !== 'coordinator') return []
  if (target.role !== 'trainee' && target.role !== 'supervisor') {
    return [{ pointer: '/role', detail: 'a coordinator creates trainee and supervisor accounts only' }]
  }
  if (target.role === 'trainee') {
    const [row] = target.traineeId
      ? await db.select({ id: trainees.id }).from(trainees).where(and(eq(trainees.id, target.traineeId), traineeScope(p)))
      : []
    return row ? [] : [{ pointer: '/traineeId', detail: `no trainee with id ${target.traineeId ?? ''}` }]
  }
  const [row] = target.supervisorId
    ? await db.select({ id: supervisors.id }).from(supervisors).where(and(eq(supervisors.id, target.supervisorId), supervisorScope(p)))
    : []
  return row ? [] : [{ pointer: '/supervisorId', detail: `no supervisor with id ${target.supervisorId ?? ''}` }]
}
