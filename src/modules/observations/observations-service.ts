import type { Db } from '../../db/client.ts'
import { problem, type FieldProblem } from '../../errors.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import { composeObservation, observerOf, placeObservation, placementHint, rememberPlacement } from './new-observation.ts'
import { applyEdits, futureDateProblem, type Content } from './observation-edits.ts'
import { insertNewObservation } from './observation-insert.ts'
import { creatorRole } from './observation-placement.ts'
import type { ObservationRow } from './observation-view.ts'
import { loadForWrite, writeRevision, type Written } from './observation-writes.ts'
import { wasAssignedOn } from './observations-repository.ts'
import type { CreateObservationBody, ObservationEdits } from './observations-schemas.ts'
import type { PinnedRubric } from './rubric-lookup.ts'

const refused = (problems: FieldProblem[]) =>
  problem('observation-invalid', 'The observation cannot be saved as sent; see errors for each problem.', { errors: problems })

/**
 * Creates a draft, or (submit: true) a complete submitted observation in one request, as API
 * clients do. This is the hot path, so it usually costs one statement: the content is validated in
 * memory against the (cached) rubric of the programme the trainee was last placed in, and one
 * prepared statement re-checks the placement and writes everything (observation-insert.ts). When
 * there is no such hint, or it no longer holds, or the body has problems, the placement is asked
 * first, so that a refusal names every reason precisely.
 */
export async function createObservation(db: Db, ctx: RequestContext, body: CreateObservationBody): Promise<Written> {
  const role = creatorRole(ctx.principal)
  const problems: FieldProblem[] = []
  const supervisorId = observerOf(ctx, body, problems)
  if (!supervisorId) throw refused(problems)
  const future = futureDateProblem(body.sessionDate)
  if (future) problems.push(future)
  const params = { traineeId: body.traineeId, supervisorId, sessionDate: body.sessionDate, callerSupervisorId: ctx.principal.supervisorId }

  const hint = problems.length === 0 ? await placementHint(db, body.traineeId) : undefined
  if (hint) {
    const fast = composeObservation(ctx, body, supervisorId, hint)
    if (fast.problems.length === 0 && await insertNewObservation(db, ctx, role, params, fast.write)) return fast.written
  }

  const placed = await placeObservation(db, ctx, params, problems)
  const composed = placed && composeObservation(ctx, body, supervisorId, placed)
  if (composed) problems.push(...composed.problems)
  if (!placed || !composed || problems.length > 0) throw refused(problems)
  if (!await insertNewObservation(db, ctx, role, params, composed.write)) {
    throw problem('observation-placement-changed', 'The trainee\'s assignment or programme changed while the observation was being recorded; send it again.')
  }
  rememberPlacement(body.traineeId, placed)
  return composed.written
}

/** Saves changes to a draft (partial; scores merge by criterion) as a new revision. */
export async function updateDraft(db: Db, ctx: RequestContext, id: string, ifMatch: string | undefined, edits: ObservationEdits): Promise<Written> {
  return db.transaction(async (tx) => {
    const current = await loadForWrite(tx, ctx, id, ifMatch, (status) => status === 'draft'
      ? undefined
      : problem('observation-locked', `The observation is ${status}; change it with POST /v1/observations/${id}/amendments, giving a reason.`))
    const edited = await applyEditsChecked(tx, current.row, current.rubric, current.content, edits)
    if (edited.problems.length > 0) throw refused(edited.problems)
    return writeRevision(tx, ctx, current, {
      content: edited.content,
      scoresChanged: edited.changedScores.length > 0,
      kind: 'draft_saved',
      action: 'observation.update',
      changes: { fields: edited.changedFields, scores: edited.changedScores }
    })
  })
}

/** applyEdits, plus the one rule that needs the database: a new session date must be covered by the assignment. */
export async function applyEditsChecked(tx: Db, row: ObservationRow, rubric: PinnedRubric, content: Content, edits: ObservationEdits) {
  const edited = applyEdits(rubric, content, edits)
  if (edited.changedFields.includes('sessionDate') && !(await wasAssignedOn(tx, row.supervisorId, row.traineeId, edited.content.sessionDate))) {
    edited.problems.push({ pointer: '/sessionDate', detail: `the supervisor was not assigned to the trainee on ${edited.content.sessionDate}` })
  }
  return edited
}
