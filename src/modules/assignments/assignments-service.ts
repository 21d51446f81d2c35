import type { Db } from '../../db/client.ts'
import { assignments, supervisors, trainees } from '../../db/schema/index.ts'
import { problem } from '../../errors.ts'
import { findRow, getRow, insertAudited, listRows, lockForWrite, requireReference, setActiveInScope, updateAudited } from '../../lib/crud.ts'
import { checkDateRange } from '../../lib/date-range.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import { assignableTraineeScope, assignmentScope, assignmentWriteScope, supervisorScope } from '../access/policy.ts'
import { checkSupervisorServed } from '../access/tenancy.ts'
import { recordAssignmentEvent, verbOf } from '../../events/subjects.ts'
import { assignmentFilters, findOverlapping, type Period } from './assignments-repository.ts'
import type { AssignmentListFilter, CreateAssignment, UpdateAssignment } from './assignments-schemas.ts'

const OBJECT = 'assignment'

/** Two active assignments of one pairing may not overlap: which one an observation falls under would be ambiguous. */
async function checkNoOverlap(tx: Db, period: Period, exceptId?: string) {
  checkDateRange(period.startsOn, period.endsOn)
  const other = await findOverlapping(tx, period, exceptId)
  if (other) {
    throw problem('assignment-overlap', `This supervisor is already assigned to this trainee from ${other.startsOn} to ${other.endsOn ?? 'open end'}; `
      + 'end or change that assignment first.', { extensions: { conflictingAssignmentId: other.id } })
  }
}

/** The pairing as it stands now must respect the tenancy rules (reactivating an old one included). */
async function checkPairing(tx: Db, pairing: { supervisorId: string; traineeId: string }) {
  const supervisor = await findRow(tx, supervisors, pairing.supervisorId, undefined)
  const trainee = await findRow(tx, trainees, pairing.traineeId, undefined)
  if (!supervisor || !trainee) throw new Error(`assignment of a missing supervisor ${pairing.supervisorId} or trainee ${pairing.traineeId}`)
  await checkSupervisorServed(tx, supervisor, trainee)
}

export function createAssignment(db: Db, ctx: RequestContext, body: CreateAssignment) {
  return db.transaction(async (tx) => {
    // A coordinator assigns supervisors of the organizations their programmes serve, to trainees placed in their cohorts.
    const supervisor = await requireReference(tx, supervisors, body.supervisorId, supervisorScope(ctx.principal), '/supervisorId', 'supervisor')
    const trainee = await requireReference(tx, trainees, body.traineeId, assignableTraineeScope(ctx.principal), '/traineeId', 'trainee')
    await checkSupervisorServed(tx, supervisor, trainee)
    const period = { supervisorId: body.supervisorId, traineeId: body.traineeId, startsOn: body.startsOn, endsOn: body.endsOn ?? null }
    await checkNoOverlap(tx, period)
    const row = await insertAudited(tx, ctx, assignments, OBJECT, period)
    await recordAssignmentEvent(tx, ctx, 'created', row)
    return row
  })
}

export function getAssignment(db: Db, ctx: RequestContext, id: string) {
  return getRow(db, assignments, id, assignmentScope(ctx.principal), OBJECT)
}

export function listAssignments(db: Db, ctx: RequestContext, query: AssignmentListFilter) {
  return listRows(db, assignments, [assignmentScope(ctx.principal), ...assignmentFilters(query)], query)
}

export function updateAssignment(db: Db, ctx: RequestContext, id: string, patch: UpdateAssignment, ifMatch: string | undefined) {
  return db.transaction(async (tx) => {
    const current = await lockForWrite(tx, assignments, id, assignmentWriteScope(ctx.principal), OBJECT, ifMatch)
    const period = { ...current, startsOn: patch.startsOn ?? current.startsOn, endsOn: patch.endsOn === undefined ? current.endsOn : patch.endsOn }
    if (current.active) await checkNoOverlap(tx, period, id)
    else checkDateRange(period.startsOn, period.endsOn)
    const row = await updateAudited(tx, ctx, { table: assignments, objectType: OBJECT, current, patch })
    if (row.revision !== current.revision) await recordAssignmentEvent(tx, ctx, 'updated', row)
    return row
  })
}

export function setAssignmentActive(db: Db, ctx: RequestContext, id: string, active: boolean, ifMatch: string | undefined) {
  return setActiveInScope(db, ctx, {
    table: assignments, objectType: OBJECT, scope: assignmentWriteScope(ctx.principal), id, active, ifMatch,
    check: async (tx, current) => {
      if (!active) return
      await checkPairing(tx, current)
      await checkNoOverlap(tx, current, id)
    },
    after: (tx, current, row) => recordAssignmentEvent(tx, ctx, verbOf(current, row), row)
  })
}
