import type { Db } from '../../db/client.ts'
import { ERRORS } from '../../errors.ts'
import { etagOf } from '../../lib/etag.ts'
import { decodeCursor, toPage } from '../../lib/pagination.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import { observationScope } from '../access/policy.ts'
import { auditObservationReads, observationRead } from '../access/read-audit.ts'
import { recordAudit } from '../../db/audit.ts'
import { contentOf, presenterFor, toView } from './observation-view.ts'
import { findObservation, listObservations, listRevisions } from './observations-repository.ts'
import type { ListObservationsQuery } from './observations-schemas.ts'
import { getPinnedRubric, getPinnedRubrics } from './rubric-lookup.ts'

/**
 * Reads. Observations are sensitive, so every read is recorded as an audit row; the read and its
 * audit row share a transaction that does nothing else.
 */

/** Trainees and integrators never see an observation as a draft, so neither its draft revisions. */
function visibleKinds(ctx: RequestContext) {
  const role = ctx.principal.role
  return role === 'trainee' || role === 'integrator' ? ['submitted' as const, 'amended' as const, 'acknowledged' as const] : undefined
}


export async function getObservation(db: Db, ctx: RequestContext, id: string) {
  return db.transaction(async (tx) => {
    const found = await findObservation(tx, id, observationScope(ctx.principal))
    if (!found) throw ERRORS.notFound('observation', id)
    const rubric = await getPinnedRubric(tx, found.row.rubricVersionId)
    if (!rubric) throw ERRORS.internal()
    await recordAudit(tx, ctx, observationRead(id, { revision: found.row.revision }))
    const view = toView(found.row, contentOf(found.row, found.scores), rubric)
    return { view: presenterFor(ctx.principal).observation(view), etag: etagOf(id, found.row.revision) }
  })
}

export async function listObservationPage(db: Db, ctx: RequestContext, query: ListObservationsQuery) {
  const { limit, cursor, ...filters } = query
  const after = decodeCursor(cursor)
  const present = presenterFor(ctx.principal)
  return db.transaction(async (tx) => {
    const rows = await listObservations(tx, observationScope(ctx.principal), filters, after, limit)
    const page = toPage(rows.map((r) => ({ ...r, id: r.row.id, createdAt: r.row.createdAt })), limit)
    const rubrics = await getPinnedRubrics(tx, page.items.map((r) => r.row.rubricVersionId))
    await auditObservationReads(tx, ctx, page.items.map((r) => ({ id: r.id, changes: { revision: r.row.revision, via: 'list' } })))
    const items = page.items.map((r) => {
      const rubric = rubrics.get(r.row.rubricVersionId)
      if (!rubric) throw ERRORS.internal()
      return present.observation(toView(r.row, contentOf(r.row, r.scores), rubric))
    })
    return { items, nextCursor: page.nextCursor }
  })
}

/** Every revision (or one), oldest first, under the same access rule as the observation itself. */
export async function getHistory(db: Db, ctx: RequestContext, id: string, revision?: number) {
  const present = presenterFor(ctx.principal)
  return db.transaction(async (tx) => {
    const found = await findObservation(tx, id, observationScope(ctx.principal))
    if (!found) throw ERRORS.notFound('observation', id)
    const revisions = await listRevisions(tx, id, visibleKinds(ctx), revision)
    if (revision !== undefined && revisions.length === 0) throw ERRORS.notFound(`revision ${revision} of observation`, id)
    await recordAudit(tx, ctx, observationRead(id, revision === undefined ? { history: true } : { revision }))
    return revisions.map((r) => present.revision(r))
  })
}
