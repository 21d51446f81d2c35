import type { Db } from '../../db/client.ts'
import { cohorts, programs } from '../../db/schema/index.ts'
import { activeFilter, getRow, insertAudited, lockForWrite, listRows, requireReference, setActiveInScope, updateAudited } from '../../lib/crud.ts'
import { checkDateRange } from '../../lib/date-range.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import { cohortScope, programScope } from '../access/policy.ts'
import { cohortFilters } from './cohorts-repository.ts'
import type { CohortListFilter, CreateCohort, UpdateCohort } from './cohorts-schemas.ts'

const OBJECT = 'cohort'

export function createCohort(db: Db, ctx: RequestContext, body: CreateCohort) {
  return db.transaction(async (tx) => {
    // A coordinator sees only their own programmes, so they can open cohorts only there.
    await requireReference(tx, programs, body.programId, programScope(ctx.principal), '/programId', 'program')
    checkDateRange(body.startsOn ?? null, body.endsOn ?? null)
    return insertAudited(tx, ctx, cohorts, OBJECT, {
      programId: body.programId, name: body.name, startsOn: body.startsOn ?? null, endsOn: body.endsOn ?? null
    })
  })
}

export function getCohort(db: Db, ctx: RequestContext, id: string) {
  return getRow(db, cohorts, id, cohortScope(ctx.principal), OBJECT)
}

export function listCohorts(db: Db, ctx: RequestContext, query: CohortListFilter) {
  return listRows(db, cohorts, [cohortScope(ctx.principal), cohortFilters(query), activeFilter(cohorts, query.active)], query)
}

export function updateCohort(db: Db, ctx: RequestContext, id: string, patch: UpdateCohort, ifMatch: string | undefined) {
  return db.transaction(async (tx) => {
    const current = await lockForWrite(tx, cohorts, id, cohortScope(ctx.principal), OBJECT, ifMatch)
    checkDateRange(patch.startsOn === undefined ? current.startsOn : patch.startsOn, patch.endsOn === undefined ? current.endsOn : patch.endsOn)
    return updateAudited(tx, ctx, { table: cohorts, objectType: OBJECT, current, patch })
  })
}

export function setCohortActive(db: Db, ctx: RequestContext, id: string, active: boolean, ifMatch: string | undefined) {
  return setActiveInScope(db, ctx, { table: cohorts, objectType: OBJECT, scope: cohortScope(ctx.principal), id, active, ifMatch })
}
