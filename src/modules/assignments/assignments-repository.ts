import { and, eq, gte, isNull, lte, ne, not, or, sql, type SQL } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { assignments } from '../../db/schema/index.ts'
import type { AssignmentListFilter } from './assignments-schemas.ts'

const isCurrent = and(
  eq(assignments.active, true),
  lte(assignments.startsOn, sql`current_date`),
  or(isNull(assignments.endsOn), gte(assignments.endsOn, sql`current_date`))
)!

export function assignmentFilters(q: AssignmentListFilter): (SQL | undefined)[] {
  return [
    q.supervisorId === undefined ? undefined : eq(assignments.supervisorId, q.supervisorId),
    q.traineeId === undefined ? undefined : eq(assignments.traineeId, q.traineeId),
    q.current === undefined ? undefined : q.current ? isCurrent : not(isCurrent),
    q.active === undefined ? undefined : eq(assignments.active, q.active)
  ]
}

export interface Period { supervisorId: string; traineeId: string; startsOn: string; endsOn: string | null }

/** An active assignment of the same supervisor to the same trainee whose dates overlap the period. */
export async function findOverlapping(db: Db, period: Period, exceptId?: string) {
  const [row] = await db.select({ id: assignments.id, startsOn: assignments.startsOn, endsOn: assignments.endsOn }).from(assignments).where(and(
    eq(assignments.supervisorId, period.supervisorId),
    eq(assignments.traineeId, period.traineeId),
    eq(assignments.active, true),
    exceptId === undefined ? undefined : ne(assignments.id, exceptId),
    period.endsOn === null ? undefined : lte(assignments.startsOn, period.endsOn),
    or(isNull(assignments.endsOn), gte(assignments.endsOn, period.startsOn))
  )).limit(1)
  return row
}
