import { and, asc, desc, eq, inArray, lte, or, lt, type SQL } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { observationScores, observations, programs, supervisors, trainees } from '../../db/schema/index.ts'

/** The names the report's header shows, in one statement (undefined when any of the three is missing). */
export async function findReportNames(db: Db, ids: { programId: string; traineeId: string; supervisorId: string }) {
  const [names] = await db.select({ program: programs.name, trainee: trainees.name, supervisor: supervisors.name })
    .from(programs)
    .innerJoin(trainees, eq(trainees.id, ids.traineeId))
    .innerJoin(supervisors, eq(supervisors.id, ids.supervisorId))
    .where(eq(programs.id, ids.programId))
  return names
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
  const recent = db.select({ id: observations.id, rubricVersionId: observations.rubricVersionId, sessionDate: observations.sessionDate, createdAt: observations.createdAt })
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
    .as('recent')
  // The observations and their scores in one statement: oldest first, a row per score (one without scores for an empty observation).
  const rows = await db.select({
    id: recent.id, rubricVersionId: recent.rubricVersionId,
    criterionKey: observationScores.criterionKey, levelValue: observationScores.levelValue
  })
    .from(recent)
    .leftJoin(observationScores, eq(observationScores.observationId, recent.id))
    .orderBy(asc(recent.sessionDate), asc(recent.createdAt), asc(observationScores.criterionKey))
  const byId = new Map<string, TrendObservation>()
  for (const r of rows) {
    let trend = byId.get(r.id)
    if (!trend) byId.set(r.id, trend = { id: r.id, rubricVersionId: r.rubricVersionId, levels: new Map() })
    if (r.criterionKey !== null) trend.levels.set(r.criterionKey, r.levelValue)
  }
  return [...byId.values()]
}
