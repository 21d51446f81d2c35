import { and, eq, gt, inArray, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { cohorts, eligibilityStates, trainees } from '../../db/schema/index.ts'
import type { EventData, EventType } from '../../events/catalog.ts'
import { recordEvents, type AnyEventInput } from '../../events/record.ts'
import type { EligibilityStatus } from './eligibility-repository.ts'
import { batchEligibility, statusOf } from './eligibility-service.ts'

/**
 * Eligibility as last told (eligibility_states), and the `eligibility.changed` events that tell a
 * change: the state row and its event are written in one transaction. The feed consumer
 * (eligibility-watch.ts) calls this for trainees whose activity or rules changed; the daily job for
 * every trainee of an organization, so a change caused only by time passing is told too.
 */
export type Cause = EventData<'eligibility.changed'>['cause']

/** Trainees evaluated per statement: each statement stays well inside DB_STATEMENT_TIMEOUT_MS. */
export const EVALUATION_BATCH = 500

export interface Evaluation {
  program: { id: string; rubricVersionId: string }
  organizationId: string
  /** The organization's local date. */
  asOf: string
  cause: Cause
  /** Only these trainees; all of the organization's trainees in the program when absent. */
  traineeIds?: string[]
}

/** Two ints for pg_advisory_xact_lock: this class of lock, and the program. */
const LOCK_CLASS = 0x454c4947 // 'ELIG'

/**
 * One evaluator at a time per program (the watch on one instance, a daily job on another): each
 * reads the stored state after the other committed, so a change is told once. Callers lock
 * programs in ascending id order, so two of them never wait on each other in a cycle.
 */
export async function lockProgram(tx: Db, programId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${LOCK_CLASS}, hashtext(${programId}))`)
}

/** The organization's active trainees in the program, in id order from `after`, one batch. */
async function traineeBatch(tx: Db, e: Evaluation, after: string | null, ids: string[] | undefined): Promise<string[]> {
  const found = await tx.select({ id: trainees.id }).from(trainees).innerJoin(cohorts, eq(cohorts.id, trainees.cohortId))
    .where(and(eq(cohorts.programId, e.program.id), eq(trainees.organizationId, e.organizationId), eq(trainees.active, true),
      ids ? inArray(trainees.id, ids) : undefined, after ? gt(trainees.id, after) : undefined))
    .orderBy(trainees.id).limit(EVALUATION_BATCH)
  return found.map((r) => r.id)
}

const links = (traineeId: string, programId: string) => ({
  self: `/v1/trainees/${traineeId}/eligibility?programId=${programId}`, trainee: `/v1/trainees/${traineeId}`, program: `/v1/programs/${programId}`
})

/**
 * Evaluates the trainees (in batches), stores what changed and records an event per change.
 * A first evaluation stores the status and tells it (from: null) unless it is `not_eligible`,
 * where everyone starts: a new trainee is no news. Answers the number of events recorded.
 */
export async function evaluateAndRecord(tx: Db, e: Evaluation): Promise<number> {
  const batch = await batchEligibility(tx, e.program, e.asOf, e.organizationId)
  const version = batch?.version ?? null
  let told = 0
  const pending = e.traineeIds ? [...new Set(e.traineeIds)] : undefined
  let after: string | null = null
  for (;;) {
    const slice = pending ? pending.splice(0, EVALUATION_BATCH) : undefined
    if (slice?.length === 0) break
    const ids = await traineeBatch(tx, e, pending ? null : after, slice)
    if (ids.length > 0) told += await recordBatch(tx, e, ids, version, batch ? await batch.check(ids) : new Map())
    if (!pending && ids.length < EVALUATION_BATCH) break
    after = ids.at(-1) ?? after
  }
  return told
}

/** The feed consumer that tells changes caused by activity (eligibility-watch.ts), and what it reads. */
export const ELIGIBILITY_WATCH = 'eligibility-watch'
export const WATCHED_TYPES = [
  'observation.submitted', 'observation.amended', 'observation.acknowledged',
  'assignment.created', 'assignment.updated', 'assignment.deactivated', 'assignment.reactivated',
  'certificate.issued', 'certificate.revoked', 'program.rules_changed', 'trainee.updated'
] as const satisfies readonly EventType[]

/**
 * Of these trainees, those with activity the watch has not handled yet (an event after its
 * position, or not yet numbered): a change the daily pass finds for them is the activity's, not
 * time's. The watch, evaluating next under the same program lock, then finds nothing new to tell.
 */
async function withUnhandledActivity(tx: Db, ids: string[]): Promise<Set<string>> {
  const found = await tx.execute(sql`
    with seen as (select coalesce((select last_seq from event_consumers where name = ${ELIGIBILITY_WATCH}), 0) as seq)
    select distinct data->>'traineeId' as id from (
      select type, data from events where feed_seq > (select seq from seen)
      union all
      select type, data from events where feed_seq is null
    ) pending where type = any(${sql.param([...WATCHED_TYPES])}::text[]) and data->>'traineeId' = any(${sql.param(ids)}::text[])`) as unknown as { rows: Array<{ id: string }> }
  return new Set(found.rows.map((r) => r.id))
}

async function recordBatch(tx: Db, e: Evaluation, ids: string[], version: number | null, unmet: Map<string, number[]>): Promise<number> {
  const stored = new Map((await tx.select({ traineeId: eligibilityStates.traineeId, status: eligibilityStates.status, version: eligibilityStates.ruleSetVersion })
    .from(eligibilityStates).where(and(eq(eligibilityStates.programId, e.program.id), inArray(eligibilityStates.traineeId, ids))))
    .map((r) => [r.traineeId, r]))
  const writes: Array<typeof eligibilityStates.$inferInsert> = []
  const told: AnyEventInput[] = []
  for (const traineeId of ids) {
    // No rules: nobody is eligible (a trainee absent from the answer has left the program meanwhile: the next run sees it).
    const rulesUnmet = unmet.get(traineeId)
    if (version !== null && rulesUnmet === undefined) continue
    const to: EligibilityStatus = rulesUnmet === undefined ? 'not_eligible' : statusOf(rulesUnmet.length)
    const before = stored.get(traineeId)
    if (before && before.status === to && before.version === version) continue
    writes.push({ traineeId, programId: e.program.id, status: to, ruleSetVersion: version })
    if (before ? before.status === to : to === 'not_eligible') continue
    told.push({
      type: 'eligibility.changed', subjectId: traineeId, organizationIds: [e.organizationId], programIds: [e.program.id],
      data: {
        traineeId, programId: e.program.id, from: before?.status ?? null, to, asOf: e.asOf, links: links(traineeId, e.program.id),
        // The daily pass that meets a rule set newer than the one last told tells the rules' change as such.
        cause: e.cause === 'time' && before && before.version !== version ? 'rules' : e.cause
      }
    })
  }
  if (e.cause === 'time' && told.length > 0) {
    const active = await withUnhandledActivity(tx, told.map((x) => x.subjectId))
    for (const x of told) if (x.type === 'eligibility.changed' && x.data.cause === 'time' && active.has(x.subjectId)) x.data.cause = 'activity'
  }
  if (writes.length > 0) {
    await tx.insert(eligibilityStates).values(writes).onConflictDoUpdate({
      target: [eligibilityStates.traineeId, eligibilityStates.programId],
      set: {
        status: sql`excluded.status`, ruleSetVersion: sql`excluded.rule_set_version`, evaluatedAt: sql`now()`,
        changedAt: sql`case when ${eligibilityStates.status} = excluded.status then ${eligibilityStates.changedAt} else now() end`
      }
    })
  }
  await recordEvents(tx, null, told)
  return told.length
}
