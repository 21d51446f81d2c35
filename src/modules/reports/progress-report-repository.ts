import { and, asc, eq, inArray, type SQL } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { cohorts, observationScores, observations, organizations, programs, supervisors, trainees } from '../../db/schema/index.ts'

/** The trainee (under the caller's trainee scope) with the names the report's header shows. */
export async function findProgressSubject(db: Db, traineeId: string, scope: SQL | undefined) {
  const [row] = await db.select({
    name: trainees.name,
    organization: organizations.name,
    cohort: cohorts.name,
    cohortProgramId: cohorts.programId
  })
    .from(trainees)
    .innerJoin(organizations, eq(organizations.id, trainees.organizationId))
    .leftJoin(cohorts, eq(cohorts.id, trainees.cohortId))
    .where(and(eq(trainees.id, traineeId), scope))
  return row
}

/** `scope` (a condition on programs) makes a programme outside it read as missing. */
export async function findProgram(db: Db, programId: string, scope?: SQL) {
  const [row] = await db.select({ id: programs.id, name: programs.name, rubricVersionId: programs.rubricVersionId })
    .from(programs).where(and(eq(programs.id, programId), scope))
  return row
}

export interface ProgressRow {
  id: string
  rubricVersionId: string
  sessionDate: string
  durationMinutes: number
  setting: string
  modality: string
  status: string
  supervisor: string
  levels: Map<string, number | null>
}

/**
 * The trainee's submitted (or acknowledged) observations in the program that the caller may read,
 * oldest first, each with its levels. Two statements whatever the count: observations, then all
 * their scores through the same conditions.
 */
export async function listProgressObservations(db: Db, scope: SQL | undefined, traineeId: string, programId: string): Promise<ProgressRow[]> {
  const where = and(
    scope,
    eq(observations.traineeId, traineeId),
    eq(observations.programId, programId),
    inArray(observations.status, ['submitted', 'acknowledged'])
  )
  const rows = await db.select({
    id: observations.id,
    rubricVersionId: observations.rubricVersionId,
    sessionDate: observations.sessionDate,
    durationMinutes: observations.durationMinutes,
    setting: observations.setting,
    modality: observations.modality,
    status: observations.status,
    supervisor: supervisors.name
  })
    .from(observations)
    .innerJoin(supervisors, eq(supervisors.id, observations.supervisorId))
    .where(where)
    .orderBy(asc(observations.sessionDate), asc(observations.createdAt), asc(observations.id))
  if (rows.length === 0) return []
  const scores = await db.select({ observationId: observationScores.observationId, criterionKey: observationScores.criterionKey, levelValue: observationScores.levelValue })
    .from(observationScores)
    .innerJoin(observations, eq(observations.id, observationScores.observationId))
    .where(where)
  const byId = new Map(rows.map((r) => [r.id, { ...r, levels: new Map<string, number | null>() }]))
  for (const s of scores) byId.get(s.observationId)?.levels.set(s.criterionKey, s.levelValue)
  return [...byId.values()]
}
