import type { Db } from '../../db/client.ts'
import { organizations, supervisors } from '../../db/schema/index.ts'
import { getRow, insertAudited, listRows, lockForWrite, requireReference, updateAudited, type RowOf } from '../../lib/crud.ts'
import { listChanges, type ListPage } from '../../lib/delta-sync.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import { organizationScope, supervisorScope } from '../access/policy.ts'
import { setPersonActive } from '../accounts/person-accounts.ts'
import { recordSupervisorEvents } from '../../events/subjects.ts'
import { checkExternalHrIdFree } from '../trainees/hr-ids.ts'
import { supervisorFilters } from './supervisors-repository.ts'
import type { CreateSupervisor, SupervisorListFilter, UpdateSupervisor } from './supervisors-schemas.ts'

const OBJECT = 'supervisor' as const

export function createSupervisor(db: Db, ctx: RequestContext, body: CreateSupervisor) {
  return db.transaction(async (tx) => {
    // Integrators and coordinators see only their organizations, so they create supervisors only there.
    await requireReference(tx, organizations, body.organizationId, organizationScope(ctx.principal), '/organizationId', 'organization')
    await checkExternalHrIdFree(tx, ctx.principal, { kind: OBJECT, organizationId: body.organizationId, externalHrId: body.externalHrId })
    const row = await insertAudited(tx, ctx, supervisors, OBJECT, {
      organizationId: body.organizationId, name: body.name, email: body.email, discipline: body.discipline ?? null,
      externalHrId: body.externalHrId ?? null
    })
    await recordSupervisorEvents(tx, ctx, 'created', [row])
    return row
  })
}

export function getSupervisor(db: Db, ctx: RequestContext, id: string) {
  return getRow(db, supervisors, id, supervisorScope(ctx.principal), OBJECT)
}

/** Newest first; with `updatedSince`, a delta sync instead (oldest change first, with its watermark: src/lib/delta-sync.ts). */
export function listSupervisors(db: Db, ctx: RequestContext, query: SupervisorListFilter): Promise<ListPage<RowOf<typeof supervisors>>> {
  const conditions = [supervisorScope(ctx.principal), ...supervisorFilters(query)]
  return query.updatedSince === undefined
    ? listRows(db, supervisors, conditions, query)
    : listChanges(db, supervisors, conditions, query.updatedSince, query)
}

export function updateSupervisor(db: Db, ctx: RequestContext, id: string, patch: UpdateSupervisor, ifMatch: string | undefined) {
  return db.transaction(async (tx) => {
    const current = await lockForWrite(tx, supervisors, id, supervisorScope(ctx.principal), OBJECT, ifMatch)
    if (patch.organizationId !== undefined && patch.organizationId !== current.organizationId) {
      await requireReference(tx, organizations, patch.organizationId, organizationScope(ctx.principal), '/organizationId', 'organization')
    }
    const movesOrganization = patch.organizationId !== undefined && patch.organizationId !== current.organizationId
    if (movesOrganization || (patch.externalHrId !== undefined && patch.externalHrId !== current.externalHrId)) {
      await checkExternalHrIdFree(tx, ctx.principal, {
        kind: OBJECT,
        organizationId: patch.organizationId ?? current.organizationId,
        externalHrId: patch.externalHrId === undefined ? current.externalHrId : patch.externalHrId,
        exceptId: id
      })
    }
    const row = await updateAudited(tx, ctx, { table: supervisors, objectType: OBJECT, current, patch })
    if (row.revision !== current.revision) await recordSupervisorEvents(tx, ctx, 'updated', [row])
    return row
  })
}

/** Deactivating a supervisor also deactivates their account (see setPersonActive). */
export function setSupervisorActive(db: Db, ctx: RequestContext, id: string, active: boolean, ifMatch: string | undefined) {
  return setPersonActive(db, ctx, { table: supervisors, objectType: OBJECT, scope: supervisorScope(ctx.principal), id, active, ifMatch })
}
