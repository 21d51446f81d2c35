import type { FeedbackArea, FeedbackReportData } from '../../reports/feedback-report.ts'
import { digest } from '../../lib/digest.ts'
import type { ObservationView } from '../observations/observations-schemas.ts'
import type { PinnedRubric } from '../observations/rubric-lookup.ts'
import { summarize } from '../observations/scoring.ts'
import type { RubricDefinition } from '../rubrics/rubric-schemas.ts'
import type { TrendObservation } from './feedback-report-repository.ts'

/**
 * Turns an observation (its API view), its rubric's definition and the trainee's earlier
 * observations into the plain object the PDF layout needs. Pure, so it runs on the main thread and
 * its result crosses into a render worker as-is.
 */
export interface FeedbackSources {
  view: ObservationView
  definition: RubricDefinition
  names: { program: string; trainee: string; supervisor: string }
  trend: TrendObservation[]
  rubrics: Map<string, PinnedRubric>
  generatedAt: Date
}

/** Same observation revision, same id: a re-download of unchanged feedback is the same report. */
export const feedbackReportId = (observationId: string, revision: number): string =>
  `FR-${observationId.slice(0, 8).toUpperCase()}-R${revision}-${digest(`${observationId}:${revision}`, 4).toUpperCase()}`

function areaTrends(trend: TrendObservation[], rubrics: Map<string, PinnedRubric>): Map<string, Array<number | null>> {
  const out = new Map<string, Array<number | null>>()
  trend.forEach((t, i) => {
    const rubric = rubrics.get(t.rubricVersionId)
    if (!rubric) return
    // Areas are matched by key, so a program that moved to a new rubric version keeps its lines.
    for (const area of summarize(rubric.areas, t.levels).areas) {
      const line = out.get(area.areaKey) ?? Array<number | null>(trend.length).fill(null)
      line[i] = area.score
      out.set(area.areaKey, line)
    }
  })
  return out
}

export function buildFeedbackData(s: FeedbackSources): FeedbackReportData {
  const { view, definition } = s
  const trends = areaTrends(s.trend, s.rubrics)
  const scores = new Map(view.scores.map((sc) => [sc.criterionKey, sc]))
  const labels = new Map(definition.scale.map((l) => [l.value, l.label]))
  const areas: FeedbackArea[] = definition.areas.map((area) => ({
    key: area.key,
    title: area.title,
    score: view.summary.areas.find((a) => a.areaKey === area.key)?.score ?? null,
    trend: trends.get(area.key) ?? [],
    criteria: area.criteria.map((c) => {
      const score = scores.get(c.key)
      const level = score?.level ?? null
      const levels = [...c.levels].sort((a, b) => a.value - b.value)
      return {
        key: c.key,
        title: c.title,
        level,
        levelLabel: level === null ? null : labels.get(level) ?? null,
        notObserved: score?.notObserved === true,
        descriptor: levels.find((l) => l.value === level)?.descriptor ?? null,
        evidence: score?.evidence ?? null,
        nextStep: level === null ? null : levels.find((l) => l.value > level)?.descriptor ?? null
      }
    })
  }))
  return {
    reportId: feedbackReportId(view.id, view.revision),
    generatedAt: s.generatedAt,
    observationId: view.id,
    revision: view.revision,
    ...s.names,
    sessionDate: view.sessionDate,
    durationMinutes: view.durationMinutes,
    setting: view.setting,
    modality: view.modality,
    rubric: { key: view.rubric.key, version: view.rubric.version, title: definition.title },
    scale: [...definition.scale].sort((a, b) => a.value - b.value),
    overall: view.summary.overall,
    areas,
    strengths: view.strengths ?? null,
    areasForGrowth: view.areasForGrowth ?? null,
    actionPlan: view.actionPlan ?? null,
    acknowledgement: view.acknowledgedAt ? { at: view.acknowledgedAt, comment: view.acknowledgementComment ?? null } : null
  }
}
