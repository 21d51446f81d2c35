import type { Db } from '../../db/client.ts'
import { cohorts, organizations, trainees } from '../../db/schema/index.ts'
import { ERRORS } from '../../errors.ts'
import { getRow, insertAudited, listRows, lockForWrite, requireReference, setActiveInScope, updateAudited } from '../../lib/crud.ts'
import type { Principal, RequestContext } from '../../lib/request-context.ts'
import { traineeScope } from '../access/access.ts'
import { cohortScope } from '../cohorts/cohorts-repository.ts'
import { organizationScope } from '../organizations/organizations-repository.ts'
import { externalHrIdTaken, traineeFilters } from './trainees-repository.ts'
import type { CreateTrainee, TraineeListFilter, UpdateTrainee } from './trainees-schemas.ts'

const OBJECT = 'trainee'

/**
 * Where a trainee may be placed by this caller. Coordinators work through cohorts, so a trainee they
 * create or move must land in a cohort of their programmes (else it would vanish from their view).
 * Integrators sync people from an HR system, which knows nothing of cohorts: placing is not theirs.
 * References are checked against what the caller can see, so none reveals what lies outside it.
 */
async function checkPlacement(tx: Db, p: Principal, sent: { organizationId?: string; cohortId?: string | null }, isNew: boolean) {
  if (p.role === 'integrator' && sent.cohortId !== undefined) {
    throw ERRORS.unprocessable('Integrators may not place trainees in cohorts; a coordinator does that.',
      [{ pointer: '/cohortId', detail: 'may not be set by an integrator' }])
  }
  if (p.role === 'coordinator' && (sent.cohortId === null || (isNew && sent.cohortId === undefined))) {
    throw ERRORS.unprocessable('A coordinator places each trainee in a cohort of their programmes.',
      [{ pointer: '/cohortId', detail: 'must be a cohort of one of your programmes' }])
  }
  if (sent.organizationId !== undefined) {
    await requireReference(tx, organizations, sent.organizationId, organizationScope(p), '/organizationId', 'organization')
  }
  if (sent.cohortId != null) await requireReference(tx, cohorts, sent.cohortId, cohortScope(p), '/cohortId', 'cohort')
}

async function checkExternalHrIdFree(tx: Db, organizationId: string, externalHrId: string | null | undefined, exceptId?: string) {
  if (externalHrId == null) return
  if (await externalHrIdTaken(tx, organizationId, externalHrId, exceptId)) {
    throw ERRORS.conflict(`Another trainee of this organization already has externalHrId "${externalHrId}"; HR ids are unique within an organization.`)
  }
}

export function createTrainee(db: Db, ctx: RequestContext, body: CreateTrainee) {
  return db.transaction(async (tx) => {
    await checkPlacement(tx, ctx.principal, body, true)
    await checkExternalHrIdFree(tx, body.organizationId, body.externalHrId)
    return insertAudited(tx, ctx, trainees, OBJECT, {
      organizationId: body.organizationId,
      cohortId: body.cohortId ?? null,
      name: body.name,
      email: body.email,
      discipline: body.discipline ?? null,
      externalHrId: body.externalHrId ?? null
    })
  })
}

export function getTrainee(db: Db, ctx: RequestContext, id: string) {
  return getRow(db, trainees, id, traineeScope(ctx.principal), OBJECT)
}

export function listTrainees(db: Db, ctx: RequestContext, query: TraineeListFilter) {
  return listRows(db, trainees, [traineeScope(ctx.principal), ...traineeFilters(query)], query)
}

export function updateTrainee(db: Db, ctx: RequestContext, id: string, patch: UpdateTrainee, ifMatch: string | undefined) {
  return db.transaction(async (tx) => {
    const current = await lockForWrite(tx, trainees, id, traineeScope(ctx.principal), OBJECT, ifMatch)
    // Only references that change are checked: an unchanged cohort that was since deactivated is no reason to refuse an edit.
    const changes = (field: 'organizationId' | 'cohortId') => patch[field] !== undefined && patch[field] !== current[field]
    await checkPlacement(tx, ctx.principal, {
      ...(changes('organizationId') ? { organizationId: patch.organizationId } : {}),
      ...(changes('cohortId') || ctx.principal.role === 'integrator' ? { cohortId: patch.cohortId } : {})
    }, false)
    if (changes('organizationId') || (patch.externalHrId !== undefined && patch.externalHrId !== current.externalHrId)) {
      await checkExternalHrIdFree(tx, patch.organizationId ?? current.organizationId,
        patch.externalHrId === undefined ? current.externalHrId : patch.externalHrId, id)
    }
    return updateAudited(tx, ctx, { table: trainees, objectType: OBJECT, current, patch })
  })
}

export function setTraineeActive(db: Db, ctx: RequestContext, id: string, active: boolean, ifMatch: string | undefined) {
  return setActiveInScope(db, ctx, { table: trainees, objectType: OBJECT, scope: traineeScope(ctx.principal), id, active, ifMatch })
}
