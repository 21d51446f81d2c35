import { digest } from '../../lib/digest.ts'
import type { EligibilityChecklist, ProgressArea, ProgressObservation, ProgressReportData, Tally } from '../../reports/progress-report.ts'
import type { PinnedRubric } from '../observations/rubric-lookup.ts'
import { summarize } from '../observations/scoring.ts'
import type { RubricDefinition } from '../rubrics/rubric-schemas.ts'
import type { ProgressRow } from './progress-report-repository.ts'

/**
 * Turns a trainee's observations into the progress report's plain data. Each observation is scored
 * under its own rubric version (as its API view is); areas and criteria are matched by key, so a
 * program that moved to a newer rubric keeps its lines. Pure: runs on the main thread.
 */
export interface ProgressSources {
  names: { trainee: string; organization: string; cohort: string | null; program: string }
  traineeId: string
  programId: string
  definition: RubricDefinition
  rubric: { key: string; version: number }
  rows: ProgressRow[]
  rubrics: Map<string, PinnedRubric>
  coverage: string
  generatedAt: Date
  eligibility: EligibilityChecklist
}

/** Same trainee, program and history: the same report id. */
export function progressReportId(traineeId: string, programId: string, rows: ProgressRow[]): string {
  const history = rows.map((r) => `${r.id}:${r.status}`).join(',')
  return `PR-${traineeId.slice(0, 8).toUpperCase()}-${digest(`${traineeId}:${programId}:${history}`, 8).toUpperCase()}`
}

function tally(rows: ProgressRow[], nameOf: (r: ProgressRow) => string): Tally[] {
  const out = new Map<string, Tally>()
  for (const r of rows) {
    const name = nameOf(r)
    const t = out.get(name) ?? { name, observations: 0, lastSessionDate: r.sessionDate }
    t.observations += 1
    if (r.sessionDate > t.lastSessionDate) t.lastSessionDate = r.sessionDate
    out.set(name, t)
  }
  return [...out.values()].sort((a, b) => b.observations - a.observations || a.name.localeCompare(b.name))
}

function criteriaProgress(definition: RubricDefinition, rows: ProgressRow[]): ProgressArea[] {
  const labels = new Map(definition.scale.map((l) => [l.value, l.label]))
  return definition.areas.map((area) => ({
    key: area.key,
    title: area.title,
    criteria: area.criteria.map((c) => {
      const scored = rows.filter((r) => r.levels.get(c.key) != null)
      const last = scored.at(-1)
      const level = last?.levels.get(c.key)
      return {
        title: c.title,
        timesObserved: scored.length,
        latest: last && level != null ? { level, label: labels.get(level) ?? String(level), sessionDate: last.sessionDate } : null
      }
    })
  }))
}

export function buildProgressData(s: ProgressSources): ProgressReportData {
  const areas = criteriaProgress(s.definition, s.rows)
  const observations: ProgressObservation[] = s.rows.map((r) => {
    const rubric = s.rubrics.get(r.rubricVersionId)
    const summary = rubric ? summarize(rubric.areas, r.levels) : { overall: null, areas: [] }
    return {
      sessionDate: r.sessionDate,
      supervisor: r.supervisor,
      setting: r.setting,
      modality: r.modality,
      durationMinutes: r.durationMinutes,
      acknowledged: r.status === 'acknowledged',
      overall: summary.overall,
      areaScores: areas.map((a) => summary.areas.find((x) => x.areaKey === a.key)?.score ?? null)
    }
  })
  return {
    reportId: progressReportId(s.traineeId, s.programId, s.rows),
    generatedAt: s.generatedAt,
    ...s.names,
    rubric: { ...s.rubric, title: s.definition.title },
    coverage: s.coverage,
    scale: [...s.definition.scale].sort((a, b) => a.value - b.value),
    areas,
    observations,
    supervisors: tally(s.rows, (r) => r.supervisor),
    settings: tally(s.rows, (r) => r.setting),
    eligibility: s.eligibility
  }
}
