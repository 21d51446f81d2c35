import { and, asc, eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { cohorts, observations, programs, trainees } from '../../db/schema/index.ts'
import type { Principal } from '../../lib/request-context.ts'
import { traineeScope } from '../access/policy.ts'

export interface MyTrainee {
  id: string
  name: string
  discipline: string | null
  cohort: string | null
  program: string | null
  lastSessionDate: string | null
  drafts: Array<{ id: string; sessionDate: string }>
}

/**
 * A supervisor's current trainees with the date of the last session they observed and their drafts
 * in progress: one statement, whatever the number of trainees.
 */
export async function myTrainees(db: Db, p: Principal): Promise<MyTrainee[]> {
  const mine = p.supervisorId ? eq(observations.supervisorId, p.supervisorId) : sql`false`
  const rows = await db.select({
    id: trainees.id, name: trainees.name, discipline: trainees.discipline, cohort: cohorts.name, program: programs.name,
    lastSessionDate: sql<string | null>`(select max(${observations.sessionDate})::text from ${observations} where ${and(eq(observations.traineeId, trainees.id), mine, sql`${observations.status} <> 'draft'`)})`,
    drafts: sql<Array<{ id: string; sessionDate: string }> | null>`(select json_agg(json_build_object('id', ${observations.id}, 'sessionDate', ${observations.sessionDate}) order by ${observations.sessionDate})
      from ${observations} where ${and(eq(observations.traineeId, trainees.id), mine, eq(observations.status, 'draft'))})`
  }).from(trainees)
    .leftJoin(cohorts, eq(cohorts.id, trainees.cohortId))
    .leftJoin(programs, eq(programs.id, cohorts.programId))
    .where(and(traineeScope(p), eq(trainees.active, true)))
    .orderBy(asc(trainees.name), asc(trainees.id))
  return rows.map((r) => ({ ...r, drafts: r.drafts ?? [] }))
}
