import { and, asc, eq, inArray, ne, sql, type SQL } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { rows } from '../../db/rows.ts'
import { observationScores, observations } from '../../db/schema/index.ts'
import type { EvaluatedObservation } from './evaluate.ts'
import { evaluatedCte, type EligibilityScope } from './eligibility-sql.ts'
import type { EligibilityArea } from './evaluate.ts'
import type { Rule } from './eligibility-schemas.ts'

/**
 * The set-based evaluation is one large analytical statement: JIT compilation would cost more
 * than it saves (it adds a second or more above the cost threshold), and the default work_mem
 * makes the join of a large program's trainees and its ordering spill to disk. Both are set for
 * that statement's transaction only.
 */
async function evaluate<T>(db: Db, query: SQL): Promise<T[]> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`set local jit = off`)
    await tx.execute(sql`set local work_mem = '64MB'`)
    return rows<T>(tx, query)
  })
}

/** A trainee's submitted observations in the program with their levels: two statements. */
export async function traineeObservations(db: Db, traineeId: string, programId: string): Promise<EvaluatedObservation[]> {
  const where = and(eq(observations.traineeId, traineeId), eq(observations.programId, programId), ne(observations.status, 'draft'))
  const list = await db.select({
    id: observations.id, sessionDate: observations.sessionDate, supervisorId: observations.supervisorId, modality: observations.modality,
    setting: observations.setting, durationMinutes: observations.durationMinutes, status: observations.status
  }).from(observations).where(where).orderBy(asc(observations.sessionDate), asc(observations.id))
  if (list.length === 0) return []
  const scores = await db.select({ observationId: observationScores.observationId, criterionKey: observationScores.criterionKey, level: observationScores.levelValue })
    .from(observationScores).where(inArray(observationScores.observationId, list.map((o) => o.id)))
  const levels = new Map(list.map((o) => [o.id, new Map<string, number | null>()]))
  for (const s of scores) levels.get(s.observationId)?.set(s.criterionKey, s.level)
  return list.map((o) => ({ ...o, acknowledged: o.status === 'acknowledged', levels: levels.get(o.id)! }))
}

export type EligibilityStatus = 'eligible' | 'close' | 'not_eligible'

export interface EvaluatedRow {
  trainee_id: string
  name: string
  cohort_id: string
  unmet: number
  unmet_rules: number[]
  actuals: Array<number | null>
}

export interface ListRequest {
  status?: EligibilityStatus | undefined
  after?: { name: string; id: string } | undefined
  limit: number
}

export interface ListResult {
  rows: EvaluatedRow[]
  summary: { trainees: number; eligible: number; close: number; notEligible: number }
}

const STATUS: Record<EligibilityStatus, SQL> = { eligible: sql`unmet = 0`, close: sql`unmet = 1`, not_eligible: sql`unmet > 0` }

/**
 * One statement for a page of a program's (or cohort's) trainees: every trainee evaluated, counted
 * by status over the whole set, then filtered and cut at the keyset (name, id).
 */
export async function listEvaluated(db: Db, rules: Rule[], areas: EligibilityArea[], scope: EligibilityScope, q: ListRequest): Promise<ListResult> {
  const found = await evaluate<Omit<EvaluatedRow, 'actuals'> & Record<string, unknown> & { n_all: number; n_eligible: number; n_close: number }>(db, sql`
    with ${evaluatedCte(rules, areas, scope)},
    counted_all as (
      select e.*, count(*) over () as n_all, count(*) filter (where unmet = 0) over () as n_eligible,
        count(*) filter (where unmet = 1) over () as n_close
      from evaluated e
    )
    select * from counted_all
    where ${q.status === undefined ? sql`true` : STATUS[q.status]}
      ${q.after === undefined ? sql`` : sql`and (name, trainee_id) > (${q.after.name}, ${q.after.id}::uuid)`}
    order by name, trainee_id
    limit ${q.limit + 1}`)
  // Counts come with each row; a page past the last row has none, so count once more without filters then.
  const first = found[0] ?? (await evaluate<{ n_all: number; n_eligible: number; n_close: number }>(db, sql`
    with ${evaluatedCte(rules, areas, scope)}
    select count(*) as n_all, count(*) filter (where unmet = 0) as n_eligible, count(*) filter (where unmet = 1) as n_close from evaluated`))[0]
  const all = Number(first?.n_all ?? 0)
  const eligible = Number(first?.n_eligible ?? 0)
  return {
    rows: found.map((r) => ({
      trainee_id: r.trainee_id, name: r.name, cohort_id: r.cohort_id, unmet: Number(r.unmet), unmet_rules: (r.unmet_rules ?? []).map(Number),
      actuals: rules.map((_, i) => (r[`actual_${i}`] === null || r[`actual_${i}`] === undefined ? null : Number(r[`actual_${i}`])))
    })),
    summary: { trainees: all, eligible, close: Number(first?.n_close ?? 0), notEligible: all - eligible }
  }
}

/** Unmet rules of each given trainee (a report's batch), in one statement. */
export async function unmetByTrainee(db: Db, rules: Rule[], areas: EligibilityArea[], scope: EligibilityScope): Promise<Map<string, number[]>> {
  const found = await evaluate<{ trainee_id: string; unmet_rules: number[] | null }>(db, sql`
    with ${evaluatedCte(rules, areas, scope)}
    select trainee_id, unmet_rules from evaluated`)
  return new Map(found.map((r) => [r.trainee_id, (r.unmet_rules ?? []).map(Number)]))
}
