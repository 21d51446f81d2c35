import { and, asc, eq, gte, inArray, lte, sql, type SQL } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import {
  accounts, observationRevisions, observationScores, observations, trainees
} from '../../db/schema/index.ts'
import { keyset, type Cursor } from '../../lib/pagination.ts'
import { currentAssignment } from '../access/policy.ts'
import type { ScoreState } from './observation-edits.ts'
import type { ObservationRow } from './observation-view.ts'
import type { ObservationView } from './observations-schemas.ts'

type RevisionKind = typeof observationRevisions.$inferInsert['kind']

export async function wasAssignedOn(db: Db, supervisorId: string, traineeId: string, date: string): Promise<boolean> {
  const [row] = await db.select({ assigned: sql<boolean>`${currentAssignment(supervisorId, trainees.id, date)}` })
    .from(trainees).where(eq(trainees.id, traineeId))
  return row?.assigned === true
}

/** The current scores of an observation, as one JSON column of the same query. */
const scoresJson = sql<ScoreState[]>`coalesce((
  select json_agg(json_build_object(
    'criterionKey', s.criterion_key, 'areaKey', s.area_key, 'levelValue', s.level_value,
    'notObserved', s.not_observed, 'evidence', s.evidence))
  from ${observationScores} s where s.observation_id = ${observations.id}), '[]'::json)`

export interface LoadedObservation {
  row: ObservationRow
  scores: ScoreState[]
}

/** One observation within the caller's scope, with its scores; `forUpdate` locks it for a write. */
export async function findObservation(db: Db, id: string, scope: SQL | undefined, forUpdate = false): Promise<LoadedObservation | undefined> {
  const query = db.select({ row: observations, scores: scoresJson }).from(observations).where(and(eq(observations.id, id), scope))
  const [found] = forUpdate ? await query.for('update', { of: observations }) : await query
  return found
}

export interface ListFilters {
  traineeId?: string
  supervisorId?: string
  programId?: string
  status?: ObservationRow['status']
  from?: string
  to?: string
}

export async function listObservations(db: Db, scope: SQL | undefined, f: ListFilters, cursor: Cursor | undefined, limit: number): Promise<LoadedObservation[]> {
  const page = keyset(observations.createdAt, observations.id, cursor)
  return db
    .select({ row: observations, scores: scoresJson })
    .from(observations)
    .where(and(
      scope,
      f.traineeId ? eq(observations.traineeId, f.traineeId) : undefined,
      f.supervisorId ? eq(observations.supervisorId, f.supervisorId) : undefined,
      f.programId ? eq(observations.programId, f.programId) : undefined,
      f.status ? eq(observations.status, f.status) : undefined,
      f.from ? gte(observations.sessionDate, f.from) : undefined,
      f.to ? lte(observations.sessionDate, f.to) : undefined,
      page.where
    ))
    .orderBy(...page.orderBy)
    .limit(limit + 1)
}

/** All scores in one statement. */
export async function insertScores(db: Db, observationId: string, scores: ScoreState[]): Promise<void> {
  if (scores.length === 0) return
  await db.insert(observationScores).values(scores.map((s) => ({ observationId, ...s })))
}

export async function replaceScores(db: Db, observationId: string, scores: ScoreState[]): Promise<void> {
  await db.delete(observationScores).where(eq(observationScores.observationId, observationId))
  await insertScores(db, observationId, scores)
}

/** Guarded by the revision read under lock, so a lost update is impossible even without the lock. */
export async function updateObservation(db: Db, id: string, expectedRevision: number, set: Partial<typeof observations.$inferInsert>): Promise<void> {
  const done = await db.update(observations).set(set)
    .where(and(eq(observations.id, id), eq(observations.revision, expectedRevision)))
    .returning({ id: observations.id })
  if (done.length !== 1) throw new Error(`observation ${id} changed during the update`)
}

export interface NewRevision {
  observationId: string
  revision: number
  kind: RevisionKind
  reason?: string | null
  snapshot: ObservationView
  actorAccountId: string
  createdAt: Date
}

export async function insertRevision(db: Db, rev: NewRevision): Promise<void> {
  await db.insert(observationRevisions).values({ ...rev, snapshot: rev.snapshot as unknown as Record<string, unknown> })
}

export async function listRevisions(db: Db, observationId: string, kinds: RevisionKind[] | undefined, revision?: number) {
  const rows = await db
    .select({
      revision: observationRevisions.revision,
      kind: observationRevisions.kind,
      reason: observationRevisions.reason,
      actorAccountId: observationRevisions.actorAccountId,
      actorName: accounts.name,
      createdAt: observationRevisions.createdAt,
      snapshot: observationRevisions.snapshot
    })
    .from(observationRevisions)
    .leftJoin(accounts, eq(accounts.id, observationRevisions.actorAccountId))
    .where(and(
      eq(observationRevisions.observationId, observationId),
      kinds ? inArray(observationRevisions.kind, kinds) : undefined,
      revision === undefined ? undefined : eq(observationRevisions.revision, revision)
    ))
    .orderBy(asc(observationRevisions.revision))
  return rows.map((r) => ({
    revision: r.revision,
    kind: r.kind,
    reason: r.reason,
    actor: r.actorAccountId ? { accountId: r.actorAccountId, name: r.actorName ?? '' } : null,
    createdAt: r.createdAt.toISOString(),
    snapshot: r.snapshot as unknown as ObservationView
  }))
}
