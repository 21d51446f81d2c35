import { randomUUID } from 'node:crypto'
import type { Db } from '../../db/client.ts'
import { ERRORS, type FieldProblem } from '../../errors.ts'
import { etagOf } from '../../lib/etag.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import { applyEdits, missingRequired, orderedScores, type Content } from './observation-edits.ts'
import type { NewObservation } from './observation-insert.ts'
import { findPlacement, type PlacementParams } from './observation-placement.ts'
import { toView, type ObservationRow } from './observation-view.ts'
import type { Written } from './observation-writes.ts'
import type { CreateObservationBody } from './observations-schemas.ts'
import { getPinnedRubric, type PinnedRubric } from './rubric-lookup.ts'

/** The pieces of creating an observation; createObservation (observations-service.ts) puts them together. */

/** Who the observation is by: a supervisor records their own; an admin names the supervisor. */
export function observerOf(ctx: RequestContext, body: CreateObservationBody, problems: FieldProblem[]): string | undefined {
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

export interface Placed {
  programId: string
  rubric: PinnedRubric
}

/**
 * The programme and rubric version a trainee's observations were last placed in: a hint that lets
 * the next observation be validated and written without asking first. It is never trusted: the
 * insert re-checks the whole placement and writes nothing if it no longer holds. Bounded, oldest out.
 */
const MAX_HINTS = 10_000
const hints = new Map<string, { programId: string; rubricVersionId: string }>()

export async function placementHint(db: Db, traineeId: string): Promise<Placed | undefined> {
  const hint = hints.get(traineeId)
  const rubric = hint && await getPinnedRubric(db, hint.rubricVersionId)
  return hint && rubric?.published ? { programId: hint.programId, rubric } : undefined
}

export function rememberPlacement(traineeId: string, placed: Placed): void {
  hints.delete(traineeId)
  if (hints.size >= MAX_HINTS) hints.delete(hints.keys().next().value!)
  hints.set(traineeId, { programId: placed.programId, rubricVersionId: placed.rubric.id })
}

/** Where the observation belongs, or (in `problems`) every reason it cannot be recorded. */
export async function placeObservation(db: Db, ctx: RequestContext, params: PlacementParams, problems: FieldProblem[]): Promise<Placed | undefined> {
  const target = await findPlacement(db, ctx.principal, params)
  if (!target?.visible) throw ERRORS.notFound('trainee', params.traineeId)
  if (!target.supervisorActive) problems.push({ pointer: '/supervisorId', detail: 'is not an active supervisor' })
  if (!target.assigned) {
    const who = ctx.principal.role === 'admin' ? 'this supervisor' : 'you'
    problems.push({ pointer: '/traineeId', detail: `was not assigned to ${who} on ${params.sessionDate}` })
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
 * The new observation in memory, validated against the rubric: its rows, its first revision (the
 * response itself is the snapshot) and its audit entry, or the problems with the body.
 */
export function composeObservation(ctx: RequestContext, body: CreateObservationBody, supervisorId: string, placed: Placed) {
  const { rubric } = placed
  const blank: Content = {
    sessionDate: body.sessionDate, durationMinutes: body.durationMinutes, setting: body.setting, modality: body.modality,
    contextNote: body.contextNote ?? null, strengths: body.strengths ?? null,
    areasForGrowth: body.areasForGrowth ?? null, actionPlan: body.actionPlan ?? null, scores: new Map()
  }
  const { content, problems } = applyEdits(rubric, blank, { scores: body.scores ?? [] })
  if (body.submit) problems.push(...missingRequired(rubric, content.scores))

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
  const write: NewObservation = {
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
  }
  const written: Written = { view, etag: etagOf(row.id, row.revision) }
  return { problems, write, written }
}
