import type { Db } from '../../db/client.ts'
import { ERRORS, type AppError } from '../../errors.ts'
import { checkIfMatch, etagOf } from '../../lib/etag.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import { observationScope } from '../access/policy.ts'
import { recordAudit } from '../../db/audit.ts'
import { recordObservationEvent } from '../../events/subjects.ts'
import { orderedScores, type Content } from './observation-edits.ts'
import { contentOf, toView, type ObservationRow } from './observation-view.ts'
import { findObservation, insertRevision, replaceScores, updateObservation, type NewRevision } from './observations-repository.ts'
import type { ObservationView } from './observations-schemas.ts'
import { getPinnedRubric, type PinnedRubric } from './rubric-lookup.ts'

/** What a write to an existing observation starts from. */
export interface Current {
  row: ObservationRow
  content: Content
  rubric: PinnedRubric
}

export interface Written {
  view: ObservationView
  etag: string
}

/**
 * Locks the observation for a write, in this order of answers: no If-Match 428, not in the caller's
 * scope 404, wrong state for this action 409, stale If-Match 412. The state check comes before the
 * ETag so that a repeated submit or acknowledge is told what happened, not merely that it is stale.
 */
export async function loadForWrite(
  tx: Db, ctx: RequestContext, id: string, ifMatch: string | undefined,
  refuseState: (status: ObservationRow['status']) => AppError | undefined
): Promise<Current> {
  if (ifMatch === undefined || ifMatch.trim() === '') throw ERRORS.preconditionRequired()
  const found = await findObservation(tx, id, observationScope(ctx.principal), true)
  if (!found) throw ERRORS.notFound('observation', id)
  const refused = refuseState(found.row.status)
  if (refused) throw refused
  checkIfMatch(ifMatch, etagOf(found.row.id, found.row.revision))
  const rubric = await getPinnedRubric(tx, found.row.rubricVersionId)
  if (!rubric) throw ERRORS.internal()
  return { row: found.row, content: contentOf(found.row, found.scores), rubric }
}

export interface NextState {
  /** Row fields that change besides the content, revision and updatedAt. */
  set?: Partial<Pick<ObservationRow, 'status' | 'submittedAt' | 'acknowledgedAt' | 'acknowledgementComment'>>
  content: Content
  scoresChanged: boolean
  kind: NewRevision['kind']
  reason?: string
  action: string
  changes: Record<string, unknown>
  /** The event the write reports, if any (saving a draft reports none: nobody else sees drafts). */
  event?: 'observation.submitted' | 'observation.amended' | 'observation.acknowledged'
}

/**
 * Stores the next revision: the row (revision + 1), the scores when they changed, the whole state
 * as a revision snapshot and an audit row, all in the caller's transaction.
 */
export async function writeRevision(tx: Db, ctx: RequestContext, current: Current, next: NextState, now = new Date()): Promise<Written> {
  const { row: before, rubric } = current
  const { content } = next
  const row: ObservationRow = {
    ...before,
    ...next.set,
    sessionDate: content.sessionDate,
    durationMinutes: content.durationMinutes,
    setting: content.setting,
    modality: content.modality,
    contextNote: content.contextNote,
    strengths: content.strengths,
    areasForGrowth: content.areasForGrowth,
    actionPlan: content.actionPlan,
    revision: before.revision + 1,
    updatedAt: now
  }
  const { id: _id, createdAt: _createdAt, createdBy: _createdBy, ...changed } = row
  await updateObservation(tx, before.id, before.revision, changed)
  if (next.scoresChanged) await replaceScores(tx, before.id, orderedScores(rubric, content.scores))
  const view = toView(row, content, rubric)
  await insertRevision(tx, {
    observationId: row.id, revision: row.revision, kind: next.kind, reason: next.reason ?? null,
    snapshot: view, actorAccountId: ctx.principal.accountId, createdAt: now
  })
  await recordAudit(tx, ctx, {
    action: next.action,
    objectType: 'observation',
    objectId: row.id,
    changes: { revision: { from: before.revision, to: row.revision }, ...next.changes }
  })
  if (next.event && row.status !== 'draft') await recordObservationEvent(tx, ctx, next.event, { ...row, status: row.status })
  return { view, etag: etagOf(row.id, row.revision) }
}
