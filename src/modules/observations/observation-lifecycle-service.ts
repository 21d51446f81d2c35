import type { Db } from '../../db/client.ts'
import { problem } from '../../errors.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import { missingRequired } from './observation-edits.ts'
import { loadForWrite, writeRevision, type Written } from './observation-writes.ts'
import { applyEditsChecked } from './observations-service.ts'
import type { AcknowledgeBody, AmendObservationBody } from './observations-schemas.ts'

/** Draft -> submitted, once every required criterion is scored (or not observed where allowed). */
export async function submitObservation(db: Db, ctx: RequestContext, id: string, ifMatch: string | undefined): Promise<Written> {
  return db.transaction(async (tx) => {
    const current = await loadForWrite(tx, ctx, id, ifMatch, (status) => status === 'draft'
      ? undefined
      : problem('observation-already-submitted', `The observation is already ${status}.`))
    const missing = missingRequired(current.rubric, current.content.scores)
    if (missing.length > 0) {
      throw problem('observation-incomplete', `${missing.length} required criteria are not scored yet; see errors. The observation stays a draft.`, { errors: missing })
    }
    const now = new Date()
    return writeRevision(tx, ctx, current, {
      set: { status: 'submitted', submittedAt: now },
      content: current.content,
      scoresChanged: false,
      kind: 'submitted',
      action: 'observation.submit',
      event: 'observation.submitted',
      changes: { status: { from: 'draft', to: 'submitted' } }
    }, now)
  })
}

/**
 * Changes a submitted observation, with a reason. The result must still be complete. An
 * acknowledged observation goes back to submitted: the trainee has not seen the new content yet
 * (their earlier acknowledgement stays in the history).
 */
export async function amendObservation(db: Db, ctx: RequestContext, id: string, ifMatch: string | undefined, body: AmendObservationBody): Promise<Written> {
  const { reason, ...edits } = body
  if (Object.keys(edits).length === 0) {
    throw problem('amendment-empty', 'An amendment changes something.', { errors: [{ pointer: '/', detail: 'give at least one field to change besides reason' }] })
  }
  return db.transaction(async (tx) => {
    const current = await loadForWrite(tx, ctx, id, ifMatch, (status) => status === 'draft'
      ? problem('observation-is-draft', `The observation is a draft; change it with PATCH /v1/observations/${id}.`)
      : undefined)
    const edited = await applyEditsChecked(tx, current.row, current.rubric, current.content, edits)
    const problems = [...edited.problems, ...missingRequired(current.rubric, edited.content.scores)]
    if (problems.length === 0 && edited.changedFields.length === 0 && edited.changedScores.length === 0) {
      throw problem('amendment-empty', 'The amendment changes nothing.', { errors: [{ pointer: '/', detail: 'the amendment changes nothing' }] })
    }
    if (problems.length > 0) throw problem('amendment-invalid', 'The amendment cannot be applied; see errors for each problem.', { errors: problems })
    const wasAcknowledged = current.row.status === 'acknowledged'
    return writeRevision(tx, ctx, current, {
      set: wasAcknowledged ? { status: 'submitted', acknowledgedAt: null, acknowledgementComment: null } : {},
      content: edited.content,
      scoresChanged: edited.changedScores.length > 0,
      kind: 'amended',
      reason,
      action: 'observation.amend',
      event: 'observation.amended',
      changes: {
        reason, fields: edited.changedFields, scores: edited.changedScores,
        ...(wasAcknowledged ? { status: { from: 'acknowledged', to: 'submitted' } } : {})
      }
    })
  })
}

/** The trainee confirms they have read the feedback (the revision named by If-Match), with an optional comment. */
export async function acknowledgeObservation(db: Db, ctx: RequestContext, id: string, ifMatch: string | undefined, body: AcknowledgeBody): Promise<Written> {
  return db.transaction(async (tx) => {
    const current = await loadForWrite(tx, ctx, id, ifMatch, (status) => status === 'submitted'
      ? undefined
      : status === 'acknowledged'
        ? problem('observation-already-acknowledged', 'The observation is already acknowledged.')
        : problem('observation-not-submitted', 'The observation is not submitted.'))
    const now = new Date()
    return writeRevision(tx, ctx, current, {
      set: { status: 'acknowledged', acknowledgedAt: now, acknowledgementComment: body.comment ?? null },
      content: current.content,
      scoresChanged: false,
      kind: 'acknowledged',
      action: 'observation.acknowledge',
      event: 'observation.acknowledged',
      changes: { status: { from: 'submitted', to: 'acknowledged' }, comment: body.comment !== undefined && body.comment !== null }
    }, now)
  })
}
