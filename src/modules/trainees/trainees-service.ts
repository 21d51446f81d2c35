import { eq } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { cohorts, organizations, trainees } from '../../db/schema/index.ts'
import { problem } from '../../errors.ts'
import { getRow, insertAudited, listRows, lockForWrite, requireReference, updateAudited, type RowOf } from '../../lib/crud.ts'
import type { Principal, RequestContext } from '../../lib/request-context.ts'
import { cohortScope, organizationScope, outsideCoordinatedPrograms, traineeScope } from '../access/policy.ts'
import { checkPlacementServed } from '../access/tenancy.ts'
import { setPersonActive } from '../accounts/person-accounts.ts'
import { listChanges, type ListPage } from '../../lib/delta-sync.ts'
import { recordTraineeEvents } from '../../events/subjects.ts'
import { checkExternalHrIdFree } from './hr-ids.ts'
import { traineeFilters } from './trainees-repository.ts'
import type { CreateTrainee, TraineeListFilter, UpdateTrainee } from './trainees-schemas.ts'

const OBJECT = 'trainee' as const

/**
 * Where a trainee may be placed by this caller. Coordinators work through cohorts, so a trainee they
 * create or move must land in a cohort of their programmes (else it would vanish from their view).
 * Integrators place their organization's trainees in cohorts of the programmes serving it, or in
 * none (a coordinator of a serving programme sees the unplaced ones and places them).
 * References are checked against what the caller can see (cohortScope), so none reveals what lies outside it.
 */
async function checkReferences(tx: Db, p: Principal, sent: { organizationId?: string; cohortId?: string | null }, isNew: boolean) {
  if (p.role === 'coordinator' && (sent.cohortId === null || (isNew && sent.cohortId === undefined))) {
    throw problem('cohort-required', 'A coordinator places each trainee in a cohort of their programmes; a trainee in no cohort is '
      + 'created or taken out of its cohort by an integrator or admin of the organization.',
    { errors: [{ pointer: '/cohortId', detail: 'must be a cohort of one of your programmes' }] })
  }
  if (sent.organizationId !== undefined) {
    await requireReference(tx, organizations, sent.organizationId, organizationScope(p), '/organizationId', 'organization')
  }
  if (sent.cohortId != null) await requireReference(tx, cohorts, sent.cohortId, cohortScope(p), '/cohortId', 'cohort')
}

/** A coordinator sees the trainees of the organizations their programmes serve, but moves only those in none of another programme's cohorts. */
async function checkMayMove(tx: Db, p: Principal, current: RowOf<typeof trainees>) {
  if (p.role !== 'coordinator' || current.cohortId === null) return
  const [cohort] = await tx.select({ programId: cohorts.programId }).from(cohorts).where(eq(cohorts.id, current.cohortId))
  if (cohort && !outsideCoordinatedPrograms(p, cohort.programId)) return
  throw problem('trainee-placed-elsewhere', 'The trainee is placed in a cohort of a programme you do not run; a coordinator of that '
    + 'programme, an integrator of the trainee\'s organization or an admin moves it.',
    { errors: [{ pointer: '/cohortId', detail: 'the trainee\'s current cohort is not one of your programmes\'' }] })
}

export function createTrainee(db: Db, ctx: RequestContext, body: CreateTrainee) {
  return db.transaction(async (tx) => {
    await checkReferences(tx, ctx.principal, body, true)
    await checkPlacementServed(tx, { organizationId: body.organizationId, cohortId: body.cohortId ?? null }, '/cohortId')
    await checkExternalHrIdFree(tx, ctx.principal, { kind: OBJECT, organizationId: body.organizationId, externalHrId: body.externalHrId })
    const row = await insertAudited(tx, ctx, trainees, OBJECT, {
      organizationId: body.organizationId,
      cohortId: body.cohortId ?? null,
      name: body.name,
      email: body.email,
      discipline: body.discipline ?? null,
      externalHrId: body.externalHrId ?? null
    })
    await recordTraineeEvents(tx, ctx, 'created', [row])
    return row
  })
}

export function getTrainee(db: Db, ctx: RequestContext, id: string) {
  return getRow(db, trainees, id, traineeScope(ctx.principal), OBJECT)
}

/** Newest first; with `updatedSince`, a delta sync instead (oldest change first, with its watermark: src/lib/delta-sync.ts). */
export function listTrainees(db: Db, ctx: RequestContext, query: TraineeListFilter): Promise<ListPage<RowOf<typeof trainees>>> {
  const conditions = [traineeScope(ctx.principal), ...traineeFilters(query)]
  return query.updatedSince === undefined ? listRows(db, trainees, conditions, query) : listChanges(db, trainees, conditions, query.updatedSince, query)
}

export function updateTrainee(db: Db, ctx: RequestContext, id: string, patch: UpdateTrainee, ifMatch: string | undefined) {
  return db.transaction(async (tx) => {
    const current = await lockForWrite(tx, trainees, id, traineeScope(ctx.principal), OBJECT, ifMatch)
    // Only references that change are checked: an unchanged cohort that was since deactivated is no reason to refuse an edit.
    const changes = (field: 'organizationId' | 'cohortId') => patch[field] !== undefined && patch[field] !== current[field]
    await checkReferences(tx, ctx.principal, {
      ...(changes('organizationId') ? { organizationId: patch.organizationId } : {}),
      ...(changes('cohortId') ? { cohortId: patch.cohortId } : {})
    }, false)
    if (changes('cohortId')) await checkMayMove(tx, ctx.principal, current)
    if (changes('cohortId') || changes('organizationId')) {
      await checkPlacementServed(tx, {
        organizationId: patch.organizationId ?? current.organizationId,
        cohortId: patch.cohortId === undefined ? current.cohortId : patch.cohortId
      }, changes('cohortId') ? '/cohortId' : '/organizationId')
    }
    if (changes('organizationId') || (patch.externalHrId !== undefined && patch.externalHrId !== current.externalHrId)) {
      await checkExternalHrIdFree(tx, ctx.principal, {
        kind: OBJECT,
        organizationId: patch.organizationId ?? current.organizationId,
        externalHrId: patch.externalHrId === undefined ? current.externalHrId : patch.externalHrId,
        exceptId: id
      })
    }
    const row = await updateAudited(tx, ctx, { table: trainees, objectType: OBJECT, current, patch })
    if (row.revision !== current.revision) await recordTraineeEvents(tx, ctx, 'updated', [row], new Map([[id, current.cohortId]]))
    return row
  })
}

/** Deactivating a trainee also deactivates their account (see setPersonActive). */
export function setTraineeActive(db: Db, ctx: RequestContext, id: string, active: boolean, ifMatch: string | undefined) {
  return setPersonActive(db, ctx, { table: trainees, objectType: OBJECT, scope: traineeScope(ctx.principal), id, active, ifMatch })
}

/**
 * The placement rules of one create (no `current`) or update, for writers of many trainees at once
 * (the HR import, src/modules/imports): the same checks createTrainee and updateTrainee make on
 * `cohortId`, so the rules have one home. `cohortId` undefined leaves an existing placement alone.
 */
export async function checkTraineePlacement(
  tx: Db, p: Principal, organizationId: string, cohortId: string | null | undefined, current?: RowOf<typeof trainees>
): Promise<void> {
  const changes = cohortId !== undefined && cohortId !== current?.cohortId
  if (current === undefined || changes) await checkReferences(tx, p, { cohortId }, current === undefined)
  if (current !== undefined && changes) await checkMayMove(tx, p, current)
  if (changes) await checkPlacementServed(tx, { organizationId, cohortId }, '/cohortId')
}
