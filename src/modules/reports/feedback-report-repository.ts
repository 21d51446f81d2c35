import { and, asc, desc, eq, inArray, lte, or, lt, type SQL } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { observationScores, observations, programs, supervisors, trainees } from '../../db/schema/index.ts'

/** The names the report's header shows. */
export async function findReportNames(db: Db, ids: { programId: string; traineeId: string; supervisorId: string }) {
  const [program] = await db.select({ name: programs.name }).from(programs).where(eq(programs.id, ids.programId))
  const [trainee] = await db.select({ name: trainees.name }).from(trainees).where(eq(trainees.id, ids.traineeId))
  const [supervisor] = await db.select({ name: supervisors.name }).from(supervisors).where(eq(supervisors.id, ids.supervisorId))
  return { program: program?.name, trainee: trainee?.name, supervisor: supervisor?.name }
}

export interface TrendObservation {
  id: string
  rubricVersionId: string
  levels: Map<string, number | null>
}

/**
 * The trainee's submitted observations in the program up to and including `upTo` (by session date,
 * then creation), newest `limit` of them, returned oldest first. `scope` is the caller's observation
 * scope, so the trend never draws on an observation the caller could not read.
 */
export async function listTrendObservations(
  db: Db, scope: SQL | undefined,
  upTo: { traineeId: string; programId: string; sessionDate: string; createdAt: Date }, limit: number
): Promise<TrendObservation[]> {
  const rows = await db.select({ id: observations.id, rubricVersionId: observations.rubricVersionId })
    .from(observations)
    .where(and(
      scope,
      eq(observations.traineeId, upTo.traineeId),
      eq(observations.programId, upTo.programId),
      inArray(observations.status, ['submitted', 'acknowledged']),
      or(
        lt(observations.sessionDate, upTo.sessionDate),
        and(eq(observations.sessionDate, upTo.sessionDate), lte(observations.createdAt, upTo.createdAt))
      )
    ))
    .orderBy(desc(observations.sessionDate), desc(observations.createdAt))
    .limit(limit)
  if (rows.length === 0) return []
  const scores = await db.select({ observationId: observationScores.observationId, criterionKey: observationScores.criterionKey, levelValue: observationScores.levelValue })
    .from(observationScores)
    .where(inArray(observationScores.observationId, rows.map((r) => r.id)))
    .orderBy(asc(observationScores.criterionKey))
  const byId = new Map(rows.map((r) => [r.id, { ...r, levels: new Map<string, number | null>() }]))
  for (const s of scores) byId.get(s.observationId)?.levels.set(s.criterionKey, s.levelValue)
  return rows.reverse().map((r) => byId.get(r.id)!)
}
