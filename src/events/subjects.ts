import { eq, inArray } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { cohorts, programOrganizations, programs, rubricVersions, trainees } from '../db/schema/index.ts'
import { recordEvents, type AnyEventInput, type EventsActor } from './record.ts'

/**
 * The events of each kind of subject, with their scope keys, for the writers of §7 of the design
 * (docs/design/events-webhooks-email.md): who may read an event is decided here, once per kind.
 *
 * - organization_ids: the person's organization (a trainee's for their observations, certificates
 *   and assignments; both sides' for an assignment).
 * - program_ids: the program of the observation or certificate; a trainee's cohort's program (before
 *   and after a move, so the coordinator a trainee left learns of it too); a supervisor, who sits in
 *   no cohort, the programs serving their organization (those whose coordinators see them).
 *
 * Payloads: ids, state and `links` (API paths) only; never names, evidence or notes.
 */
export type Verb = 'created' | 'updated' | 'deactivated' | 'reactivated'

/** The verb of a write as crud.ts audits it (`update`, `deactivate`, `reactivate`). */
export const verbOf = (before: { active: boolean }, after: { active: boolean }): Verb =>
  before.active === after.active ? 'updated' : after.active ? 'reactivated' : 'deactivated'

interface Person { id: string; organizationId: string; active: boolean }
export interface TraineeState extends Person { cohortId: string | null }

async function cohortPrograms(tx: Db, cohortIds: (string | null | undefined)[]): Promise<Map<string, string>> {
  const ids = [...new Set(cohortIds.filter((c): c is string => typeof c === 'string'))]
  if (ids.length === 0) return new Map()
  const found = await tx.select({ id: cohorts.id, programId: cohorts.programId }).from(cohorts).where(inArray(cohorts.id, ids))
  return new Map(found.map((c) => [c.id, c.programId]))
}

async function servingPrograms(tx: Db, organizationIds: string[]): Promise<Map<string, string[]>> {
  const ids = [...new Set(organizationIds)]
  const served = new Map<string, string[]>(ids.map((id) => [id, []]))
  if (ids.length === 0) return served
  const found = await tx.select({ programId: programOrganizations.programId, organizationId: programOrganizations.organizationId })
    .from(programOrganizations).where(inArray(programOrganizations.organizationId, ids))
  for (const r of found) served.get(r.organizationId)!.push(r.programId)
  return served
}

const present = (values: (string | undefined)[]): string[] => values.filter((v): v is string => v !== undefined)

/** Trainees' events; `before` (an update's earlier cohort, by trainee id) widens the program scope. */
export async function recordTraineeEvents(
  tx: Db, ctx: EventsActor | null, verb: Verb, rows: readonly TraineeState[], before: ReadonlyMap<string, string | null> = new Map()
): Promise<void> {
  if (rows.length === 0 || ctx?.eventsOff) return
  const programOf = await cohortPrograms(tx, [...rows.map((r) => r.cohortId), ...before.values()])
  await recordEvents(tx, ctx, rows.map((r): AnyEventInput => ({
    type: `trainee.${verb}`, subjectId: r.id, organizationIds: [r.organizationId],
    programIds: present([r.cohortId ? programOf.get(r.cohortId) : undefined, ...[before.get(r.id)].map((c) => c ? programOf.get(c) : undefined)]),
    data: { traineeId: r.id, organizationId: r.organizationId, active: r.active, links: { self: `/v1/trainees/${r.id}` } }
  })))
}

export async function recordSupervisorEvents(tx: Db, ctx: EventsActor | null, verb: Verb, rows: readonly Person[]): Promise<void> {
  if (rows.length === 0 || ctx?.eventsOff) return
  const served = await servingPrograms(tx, rows.map((r) => r.organizationId))
  await recordEvents(tx, ctx, rows.map((r): AnyEventInput => ({
    type: `supervisor.${verb}`, subjectId: r.id, organizationIds: [r.organizationId], programIds: served.get(r.organizationId) ?? [],
    data: { supervisorId: r.id, organizationId: r.organizationId, active: r.active, links: { self: `/v1/supervisors/${r.id}` } }
  })))
}

export async function recordAssignmentEvent(
  tx: Db, ctx: EventsActor | null, verb: Verb, row: { id: string; traineeId: string; supervisorId: string; active: boolean }
): Promise<void> {
  if (ctx?.eventsOff) return
  const [scope] = await tx.select({ organizationId: trainees.organizationId, programId: cohorts.programId })
    .from(trainees).leftJoin(cohorts, eq(cohorts.id, trainees.cohortId)).where(eq(trainees.id, row.traineeId))
  await recordEvents(tx, ctx, [{
    type: `assignment.${verb}`, subjectId: row.id,
    organizationIds: present([scope?.organizationId]), programIds: present([scope?.programId ?? undefined]),
    data: {
      assignmentId: row.id, traineeId: row.traineeId, supervisorId: row.supervisorId, active: row.active,
      links: { self: `/v1/assignments/${row.id}`, trainee: `/v1/trainees/${row.traineeId}`, supervisor: `/v1/supervisors/${row.supervisorId}` }
    }
  }])
}

export interface ObservationState {
  id: string; traineeId: string; supervisorId: string; programId: string; status: 'submitted' | 'acknowledged'; revision: number
}

/** An observation's event as a row of `events`, for the writers that insert it themselves (the hot path's CTE). */
export function observationEvent(type: 'observation.submitted' | 'observation.amended' | 'observation.acknowledged', o: ObservationState) {
  return {
    type, subjectId: o.id, programIds: [o.programId],
    data: {
      observationId: o.id, traineeId: o.traineeId, supervisorId: o.supervisorId, programId: o.programId, status: o.status, revision: o.revision,
      links: { self: `/v1/observations/${o.id}`, trainee: `/v1/trainees/${o.traineeId}` }
    }
  }
}

async function organizationOf(tx: Db, traineeId: string): Promise<string[]> {
  const [t] = await tx.select({ organizationId: trainees.organizationId }).from(trainees).where(eq(trainees.id, traineeId))
  return present([t?.organizationId])
}

export async function recordObservationEvent(tx: Db, ctx: EventsActor | null, ...args: Parameters<typeof observationEvent>): Promise<void> {
  if (ctx?.eventsOff) return
  const event = observationEvent(...args)
  await recordEvents(tx, ctx, [{ ...event, organizationIds: await organizationOf(tx, args[1].traineeId) }])
}

export async function recordCertificateEvent(
  tx: Db, ctx: EventsActor | null, verb: 'issued' | 'revoked', c: { id: string; traineeId: string; programId: string; serial: string }
): Promise<void> {
  if (ctx?.eventsOff) return
  await recordEvents(tx, ctx, [{
    type: `certificate.${verb}`, subjectId: c.id, organizationIds: await organizationOf(tx, c.traineeId), programIds: [c.programId],
    data: {
      certificateId: c.id, traineeId: c.traineeId, programId: c.programId, serial: c.serial,
      links: { self: `/v1/certificates/${c.id}`, trainee: `/v1/trainees/${c.traineeId}` }
    }
  }])
}

/** Read by the programs pinned to a version of the rubric, and the organizations they serve. */
export async function recordRubricPublished(
  tx: Db, ctx: EventsActor | null, v: { rubricId: string; rubricKey: string; version: number; rubricVersionId: string }
): Promise<void> {
  if (ctx?.eventsOff) return
  const versions = tx.select({ id: rubricVersions.id }).from(rubricVersions).where(eq(rubricVersions.rubricId, v.rubricId))
  const using = await tx.select({ id: programs.id }).from(programs).where(inArray(programs.rubricVersionId, versions))
  const programIds = using.map((p) => p.id)
  const served = programIds.length === 0 ? [] : await tx.selectDistinct({ id: programOrganizations.organizationId })
    .from(programOrganizations).where(inArray(programOrganizations.programId, programIds))
  await recordEvents(tx, ctx, [{
    type: 'rubric.published', subjectId: v.rubricVersionId, organizationIds: served.map((o) => o.id), programIds,
    data: {
      rubricKey: v.rubricKey, version: v.version, rubricVersionId: v.rubricVersionId,
      links: { self: `/v1/rubrics/${encodeURIComponent(v.rubricKey)}/versions/${v.version}` }
    }
  }])
}

/** An internal event too: the eligibility watch re-evaluates the program's trainees on it. */
export async function recordRulesChanged(tx: Db, ctx: EventsActor | null, programId: string, version: number): Promise<void> {
  if (ctx?.eventsOff) return
  const served = await tx.select({ id: programOrganizations.organizationId }).from(programOrganizations)
    .where(eq(programOrganizations.programId, programId))
  await recordEvents(tx, ctx, [{
    type: 'program.rules_changed', subjectId: programId, organizationIds: served.map((o) => o.id), programIds: [programId],
    data: { programId, version, links: { self: `/v1/programs/${programId}/eligibility-rules` } }
  }])
}
