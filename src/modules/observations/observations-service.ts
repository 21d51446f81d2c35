import { randomUUID } from 'node:crypto'
import type { Db } from '../../db/client.ts'
import { ERRORS, type FieldProblem } from '../../errors.ts'
import { etagOf } from '../../lib/etag.ts'
import type { RequestContext } from '../accounts/principal.ts'
import { applyEdits, futureDateProblem, missingRequired, orderedScores, type Content } from './observation-edits.ts'
import { toView, type ObservationRow } from './observation-view.ts'
import { loadForWrite, writeRevision, type Written } from './observation-writes.ts'
import { insertNewObservation } from './observation-insert.ts'
import { findCreateTarget, wasAssignedOn } from './observations-repository.ts'
import type { CreateObservationBody, ObservationEdits } from './observations-schemas.ts'
import { getPinnedRubric, type PinnedRubric } from './rubric-lookup.ts'

const refused = (problems: FieldProblem[]) =>
  ERRORS.unprocessable('The observation cannot be saved as sent; see errors for each problem.', problems)

/** Who the observation is by: a supervisor records their own; an admin names the supervisor. */
function observerOf(ctx: RequestContext, body: CreateObservationBody, problems: FieldProblem[]): string | undefined {
  const p = ctx.principal
  if (p.role === 'admin') {
    if (!body.supervisorId) problems.push({ pointer: '/supervisorId', detail: 'is required when an admin records an observation' })
    return body.supervisorId
  }
  if (body.supervisorId !== undefined && body.supervisorId !== p.supervisorId) {
    problems.push({ pointer: '/supervisorId', detail: 'supervisors record only their own observations; leave it out' })
  }
  return p.supervisorId ?? undefined
}

/**
 * Where the observation belongs (programme, pinned rubric), or every reason it cannot be recorded.
 * One query answers for trainee, cohort, programme and assignment; the rubric usually comes from
 * the cache.
 */
async function placeObservation(db: Db, ctx: RequestContext, body: CreateObservationBody, supervisorId: string, problems: FieldProblem[]) {
  const target = await findCreateTarget(db, ctx.principal, body.traineeId, supervisorId, body.sessionDate)
  if (!target?.visible) throw ERRORS.notFound('trainee', body.traineeId)
  if (!target.supervisorActive) problems.push({ pointer: '/supervisorId', detail: 'is not an active supervisor' })
  if (!target.assigned) {
    const who = ctx.principal.role === 'admin' ? 'this supervisor' : 'you'
    problems.push({ pointer: '/traineeId', detail: `was not assigned to ${who} on ${body.sessionDate}` })
  }
  if (!target.traineeActive) {
    problems.push({ pointer: '/traineeId', detail: 'the trainee is deactivated' })
  } else if (!target.cohortId || !target.programId || !target.rubricVersionId) {
    problems.push({ pointer: '/traineeId', detail: 'the trainee is in no cohort, so there is no programme rubric to score against' })
  } else if (!target.cohortActive || !target.programActive) {
    problems.push({ pointer: '/traineeId', detail: 'the trainee\'s cohort or programme is no longer active' })
  } else {
    const rubric = await getPinnedRubric(db, target.rubricVersionId)
    // Scores must keep their meaning forever, so they are only recorded against a frozen version.
    if (rubric?.published) return { programId: target.programId, rubric }
    problems.push({ pointer: '/traineeId', detail: 'the programme\'s rubric version is not published' })
  }
  return undefined
}

/**
 * Creates a draft, or (submit: true) a complete submitted observation in one request, as API
 * clients do. This is the hot path: one query places the observation, everything is validated in
 * memory against the cached rubric, and one statement writes the observation, all its scores, the
 * revision snapshot and the audit row; nothing is read back. The check and the write need no
 * enclosing transaction: under READ COMMITTED it would not make the check's reads any more stable,
 * and the single write statement is atomic by itself.
 */
export async function createObservation(db: Db, ctx: RequestContext, body: CreateObservationBody): Promise<Written> {
  const problems: FieldProblem[] = []
  const supervisorId = observerOf(ctx, body, problems)
  if (!supervisorId) throw refused(problems)
  const future = futureDateProblem(body.sessionDate)
  if (future) problems.push(future)
  const placed = await placeObservation(db, ctx, body, supervisorId, problems)

  let content: Content = {
    sessionDate: body.sessionDate, durationMinutes: body.durationMinutes, setting: body.setting, modality: body.modality,
    contextNote: body.contextNote ?? null, strengths: body.strengths ?? null,
    areasForGrowth: body.areasForGrowth ?? null, actionPlan: body.actionPlan ?? null, scores: new Map()
  }
  if (placed) {
    const edited = applyEdits(placed.rubric, content, { scores: body.scores ?? [] })
    content = edited.content
    problems.push(...edited.problems)
    if (body.submit) problems.push(...missingRequired(placed.rubric, content.scores))
  }
  if (problems.length > 0 || !placed) throw refused(problems)

  const { rubric } = placed
  const now = new Date()
  const submit = body.submit === true
  const row: ObservationRow = {
    id: randomUUID(), traineeId: body.traineeId, supervisorId, programId: placed.programId, rubricVersionId: rubric.id,
    status: submit ? 'submitted' : 'draft', revision: 1,
    sessionDate: content.sessionDate, durationMinutes: content.durationMinutes, setting: content.setting, modality: content.modality,
    contextNote: content.contextNote, strengths: content.strengths, areasForGrowth: content.areasForGrowth, actionPlan: content.actionPlan,
    submittedAt: submit ? now : null, acknowledgedAt: null, acknowledgementComment: null,
    createdBy: ctx.principal.accountId, createdAt: now, updatedAt: now
  }
  const scores = orderedScores(rubric, content.scores)
  const view = toView(row, content, rubric)
  await insertNewObservation(db, ctx, {
    row,
    scores,
    // Created and submitted at once is one saved state, so one revision, of kind "submitted".
    revision: { observationId: row.id, revision: 1, kind: submit ? 'submitted' : 'created', snapshot: view, actorAccountId: ctx.principal.accountId, createdAt: now },
    audit: {
      action: 'observation.create',
      changes: {
        status: row.status, revision: 1, traineeId: row.traineeId, supervisorId, programId: row.programId,
        rubricVersionId: rubric.id, sessionDate: row.sessionDate, scores: scores.map((s) => s.criterionKey)
      }
    }
  })
  return { view, etag: etagOf(row.id, row.revision) }
}

/** Saves changes to a draft (partial; scores merge by criterion) as a new revision. */
export async function updateDraft(db: Db, ctx: RequestContext, id: string, ifMatch: string | undefined, edits: ObservationEdits): Promise<Written> {
  return db.transaction(async (tx) => {
    const current = await loadForWrite(tx, ctx, id, ifMatch, (status) => status === 'draft'
      ? undefined
      : ERRORS.locked(`The observation is ${status}; change it with POST /v1/observations/${id}/amendments, giving a reason.`))
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
