import type { observations } from '../../db/schema/index.ts'
import type { Principal } from '../../lib/request-context.ts'
import { seesNarrative } from '../access/policy.ts'
import type { Content, ScoreState } from './observation-edits.ts'
import { orderedScores } from './observation-edits.ts'
import type { ObservationView, RevisionView, ScoreView } from './observations-schemas.ts'
import type { PinnedRubric } from './rubric-lookup.ts'
import { summarize } from './scoring.ts'

export type ObservationRow = typeof observations.$inferSelect

/** The observation's content as held in its row and score rows. */
export function contentOf(row: ObservationRow, scores: Iterable<ScoreState>): Content {
  return {
    sessionDate: row.sessionDate,
    durationMinutes: row.durationMinutes,
    setting: row.setting,
    modality: row.modality,
    contextNote: row.contextNote,
    strengths: row.strengths,
    areasForGrowth: row.areasForGrowth,
    actionPlan: row.actionPlan,
    scores: new Map([...scores].map((s) => [s.criterionKey, s]))
  }
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null)

/**
 * The whole observation as the API shows it (and as each revision snapshot stores it), built from
 * memory: after a write nothing needs to be read back.
 */
export function toView(row: ObservationRow, content: Content, rubric: PinnedRubric): ObservationView {
  const scores = orderedScores(rubric, content.scores)
  const levels = new Map(scores.map((s) => [s.criterionKey, s.levelValue]))
  return {
    id: row.id,
    status: row.status,
    revision: row.revision,
    traineeId: row.traineeId,
    supervisorId: row.supervisorId,
    programId: row.programId,
    rubric: { id: rubric.id, key: rubric.key, version: rubric.version },
    sessionDate: content.sessionDate,
    durationMinutes: content.durationMinutes,
    setting: content.setting,
    modality: content.modality,
    contextNote: content.contextNote,
    scores: scores.map((s): ScoreView => ({
      areaKey: s.areaKey,
      criterionKey: s.criterionKey,
      criterionTitle: rubric.criteria.get(s.criterionKey)?.title ?? s.criterionKey,
      level: s.levelValue,
      levelLabel: s.levelValue === null ? null : rubric.levelLabels.get(s.levelValue) ?? null,
      notObserved: s.notObserved,
      evidence: s.evidence
    })),
    strengths: content.strengths,
    areasForGrowth: content.areasForGrowth,
    actionPlan: content.actionPlan,
    submittedAt: iso(row.submittedAt),
    acknowledgedAt: iso(row.acknowledgedAt),
    acknowledgementComment: row.acknowledgementComment,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    summary: summarize(rubric.areas, levels)
  }
}

/**
 * Free text an integrator (an HR system) must never receive: it may describe clients and is meant
 * for the trainee's development, not for personnel files. Every response and every history
 * snapshot passes through `presenterFor`, so no route can forget to strip it.
 */
const NARRATIVE = ['contextNote', 'strengths', 'areasForGrowth', 'actionPlan', 'acknowledgementComment'] as const
type Narrative = (typeof NARRATIVE)[number]
export type RedactedView = Omit<ObservationView, Narrative | 'scores'> & { scores: Array<Omit<ScoreView, 'evidence'>> }

export function redact(view: ObservationView): RedactedView {
  const out: Record<string, unknown> = { ...view }
  for (const key of NARRATIVE) delete out[key]
  out.scores = view.scores.map(({ evidence: _evidence, ...score }) => score)
  return out as RedactedView
}

export interface Presenter {
  observation(view: ObservationView): ObservationView | RedactedView
  revision(rev: RevisionView): RevisionView | (Omit<RevisionView, 'snapshot' | 'reason'> & { snapshot: RedactedView })
}

export function presenterFor(principal: Principal): Presenter {
  if (seesNarrative(principal)) return { observation: (v) => v, revision: (r) => r }
  return {
    observation: redact,
    // An amendment's reason is free text too.
    revision: ({ reason: _reason, ...r }) => ({ ...r, snapshot: redact(r.snapshot) })
  }
}
