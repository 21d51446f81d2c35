import { and, eq, exists, sql, type SQL } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { cohorts, trainees } from '../../db/schema/index.ts'
import { containsText } from '../../lib/crud.ts'
import { externalHrIdHolder } from './hr-ids.ts'
import type { TraineeListFilter } from './trainees-schemas.ts'

export function traineeFilters(q: TraineeListFilter): (SQL | undefined)[] {
  return [
    q.organizationId === undefined ? undefined : eq(trainees.organizationId, q.organizationId),
    q.cohortId === undefined ? undefined : eq(trainees.cohortId, q.cohortId),
    q.programId === undefined
      ? undefined
      : exists(sql`(select 1 from ${cohorts} where ${and(eq(cohorts.id, trainees.cohortId), eq(cohorts.programId, q.programId))})`),
    q.externalHrId === undefined ? undefined : eq(trainees.externalHrId, q.externalHrId),
    q.active === undefined ? undefined : eq(trainees.active, q.active),
    containsText([trainees.name, trainees.email], q.q)
  ]
}

/** Whether another trainee of the organization already carries this HR id (deactivated ones included). */
export async function externalHrIdTaken(db: Db, organizationId: string, externalHrId: string, exceptId?: string): Promise<boolean> {
  return (await externalHrIdHolder(db, 'trainee', organizationId, externalHrId, exceptId)) !== undefined
}
