import { and, asc, eq, inArray } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { cohorts, organizations, programs, trainees } from '../../db/schema/index.ts'
import type { FeedConsumer, FeedEvent } from '../../events/consumers.ts'
import { localDateTime } from '../../schedules/local-date.ts'
import { ELIGIBILITY_WATCH, WATCHED_TYPES, evaluateAndRecord, lockProgram, type Cause } from './eligibility-states.ts'

/**
 * The eligibility watch: a feed consumer that re-evaluates the trainees whose activity (an
 * observation, an assignment, a certificate, a cohort move) or whose program's rules changed, off
 * the request's hot path, and tells each change as `eligibility.changed`. The day it evaluates for
 * is the trainee's organization's local date when the event is handled.
 */
export { ELIGIBILITY_WATCH }

const TYPES = WATCHED_TYPES

export function eligibilityWatch(now: () => Date = () => new Date()): FeedConsumer {
  // Eligibility may trail activity by a second: a burst of submissions is then evaluated per program in one batch, off the API's path.
  return { name: ELIGIBILITY_WATCH, types: TYPES, batchSize: 500, minGapMs: 1000, handle: async (tx, events) => { await handleEvents(tx, events, now()) } }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)

/** Per program: the trainees to evaluate, or all of them (its rules changed). */
type Targets = Map<string, Set<string> | 'all'>

function add(targets: Targets, programId: string, traineeId: string): void {
  const current = targets.get(programId)
  if (current === 'all') return
  targets.set(programId, (current ?? new Set()).add(traineeId))
}

export async function handleEvents(tx: Db, events: FeedEvent[], now: Date): Promise<number> {
  const targets: Targets = new Map()
  // An assignment or a cohort move concerns the trainee's program as it is now (their cohort's).
  const ofCohort = new Set<string>()
  for (const event of events) {
    const traineeId = str(event.data.traineeId)
    const programId = str(event.data.programId)
    if (event.type === 'program.rules_changed') {
      if (programId) targets.set(programId, 'all')
    } else if (traineeId && programId) {
      add(targets, programId, traineeId)
    } else if (traineeId) {
      ofCohort.add(traineeId)
    }
  }
  if (ofCohort.size > 0) {
    const placed = await tx.select({ id: trainees.id, programId: cohorts.programId }).from(trainees)
      .innerJoin(cohorts, eq(cohorts.id, trainees.cohortId)).where(inArray(trainees.id, [...ofCohort]))
    for (const p of placed) add(targets, p.programId, p.id)
  }
  let told = 0
  // Ascending program ids: the order every evaluator locks programs in (eligibility-states.ts).
  for (const programId of [...targets.keys()].sort()) {
    const [program] = await tx.select({ id: programs.id, rubricVersionId: programs.rubricVersionId }).from(programs)
      .where(and(eq(programs.id, programId), eq(programs.active, true)))
    if (!program) continue
    await lockProgram(tx, program.id)
    const wanted = targets.get(programId)!
    const cause: Cause = wanted === 'all' ? 'rules' : 'activity'
    for (const org of await organizationsOf(tx, program.id, wanted === 'all' ? undefined : [...wanted])) {
      told += await evaluateAndRecord(tx, {
        program, organizationId: org.id, asOf: localDateTime(org.timeZone, now).date, cause,
        ...(org.traineeIds ? { traineeIds: org.traineeIds } : {})
      })
    }
  }
  return told
}

/** The organizations of the program's trainees (of those given, grouped; or all), with their zones. */
async function organizationsOf(tx: Db, programId: string, traineeIds: string[] | undefined): Promise<Array<{ id: string; timeZone: string; traineeIds?: string[] }>> {
  if (!traineeIds) {
    return tx.selectDistinct({ id: organizations.id, timeZone: organizations.timeZone }).from(trainees)
      .innerJoin(cohorts, eq(cohorts.id, trainees.cohortId)).innerJoin(organizations, eq(organizations.id, trainees.organizationId))
      .where(and(eq(cohorts.programId, programId), eq(trainees.active, true))).orderBy(asc(organizations.id))
  }
  const found = await tx.select({ traineeId: trainees.id, id: organizations.id, timeZone: organizations.timeZone }).from(trainees)
    .innerJoin(organizations, eq(organizations.id, trainees.organizationId)).where(inArray(trainees.id, traineeIds))
  const grouped = new Map<string, { id: string; timeZone: string; traineeIds: string[] }>()
  for (const f of found) {
    const g = grouped.get(f.id) ?? { id: f.id, timeZone: f.timeZone, traineeIds: [] }
    g.traineeIds.push(f.traineeId)
    grouped.set(f.id, g)
  }
  return [...grouped.values()]
}

/**
 * The daily job (per organization, at its local SCHEDULE_LOCAL_HOUR): every trainee of the
 * organization in each active program, evaluated as of its local today, so a change caused only
 * by the rules' window sliding past an observation is told (cause `time`).
 */
export async function eligibilityDailyJob(tx: Db, job: { organizationId: string; today: string }): Promise<void> {
  const inPrograms = await tx.selectDistinct({ id: programs.id, rubricVersionId: programs.rubricVersionId }).from(trainees)
    .innerJoin(cohorts, eq(cohorts.id, trainees.cohortId)).innerJoin(programs, eq(programs.id, cohorts.programId))
    .where(and(eq(trainees.organizationId, job.organizationId), eq(trainees.active, true), eq(programs.active, true)))
    .orderBy(asc(programs.id))
  for (const program of inPrograms) {
    await lockProgram(tx, program.id)
    await evaluateAndRecord(tx, { program, organizationId: job.organizationId, asOf: job.today, cause: 'time' })
  }
}
