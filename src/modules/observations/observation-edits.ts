import type { FieldProblem } from '../../errors.ts'
import type { Modality } from '../../lib/modality.ts'
import type { ObservationEdits, ScoreInput } from './observations-schemas.ts'
import type { PinnedRubric } from './rubric-lookup.ts'

/**
 * Applying a body to an observation's content, in memory and against its pinned rubric: the same
 * rules serve creation, draft saves and amendments, and every problem is reported at once.
 */

export interface ScoreState {
  criterionKey: string
  areaKey: string
  levelValue: number | null
  notObserved: boolean
  evidence: string | null
}

export interface Content {
  sessionDate: string
  durationMinutes: number
  setting: string
  modality: Modality
  contextNote: string | null
  strengths: string | null
  areasForGrowth: string | null
  actionPlan: string | null
  scores: Map<string, ScoreState>
}

export interface EditResult {
  content: Content
  problems: FieldProblem[]
  changedFields: string[]
  changedScores: string[]
}

const FIELDS = ['sessionDate', 'durationMinutes', 'setting', 'modality', 'contextNote', 'strengths', 'areasForGrowth', 'actionPlan'] as const

/**
 * The latest calendar date anywhere on Earth (UTC+14): a session recorded late in the evening in a
 * timezone ahead of the server is not "in the future".
 */
export function latestToday(now = new Date()): string {
  return new Date(now.getTime() + 14 * 3600_000).toISOString().slice(0, 10)
}

export function futureDateProblem(date: string, now = new Date()): FieldProblem | undefined {
  return date > latestToday(now) ? { pointer: '/sessionDate', detail: 'must not be in the future' } : undefined
}

export function applyEdits(rubric: PinnedRubric, current: Content, edits: ObservationEdits, now = new Date()): EditResult {
  const problems: FieldProblem[] = []
  const content: Content = { ...current, scores: new Map(current.scores) }
  const changedFields: string[] = []
  for (const field of FIELDS) {
    const value = edits[field]
    if (value === undefined || value === current[field]) continue
    ;(content as unknown as Record<string, unknown>)[field] = value
    changedFields.push(field)
  }
  const future = edits.sessionDate === undefined ? undefined : futureDateProblem(edits.sessionDate, now)
  if (future) problems.push(future)
  const changedScores: string[] = []
  const seen = new Set<string>()
  edits.scores?.forEach((entry, i) => {
    const at = `/scores/${i}`
    if (seen.has(entry.criterionKey)) {
      problems.push({ pointer: `${at}/criterionKey`, detail: `criterion "${entry.criterionKey}" appears more than once` })
      return
    }
    seen.add(entry.criterionKey)
    const criterion = rubric.criteria.get(entry.criterionKey)
    if (!criterion) {
      problems.push({ pointer: `${at}/criterionKey`, detail: `"${entry.criterionKey}" is not a criterion of rubric ${rubric.key} version ${rubric.version}` })
      return
    }
    const before = content.scores.get(entry.criterionKey)
    const next = resolveEntry(entry, before, at, problems, criterion)
    if (next === undefined) return
    if (next === null) {
      if (before) content.scores.delete(entry.criterionKey)
    } else {
      content.scores.set(entry.criterionKey, next)
    }
    if (!sameScore(before, next ?? undefined)) changedScores.push(entry.criterionKey)
  })
  return { content, problems, changedFields, changedScores }
}

/** The new state of one criterion: a score, null to remove it, undefined when the entry is refused. */
function resolveEntry(
  entry: ScoreInput, before: ScoreState | undefined, at: string, problems: FieldProblem[],
  criterion: { key: string; title: string; areaKey: string; allowNotObserved: boolean; levelValues: number[] }
): ScoreState | null | undefined {
  const hasLevel = typeof entry.level === 'number'
  if (hasLevel && entry.notObserved === true) {
    problems.push({ pointer: at, detail: 'give either a level or notObserved: true, not both' })
    return undefined
  }
  if (entry.level === null && entry.notObserved !== true) return null
  const evidence = entry.evidence !== undefined ? entry.evidence : before?.evidence ?? null
  const base = { criterionKey: criterion.key, areaKey: criterion.areaKey, evidence }
  if (hasLevel) {
    if (!criterion.levelValues.includes(entry.level!)) {
      problems.push({ pointer: `${at}/level`, detail: `must be one of: ${criterion.levelValues.join(', ')}` })
      return undefined
    }
    return { ...base, levelValue: entry.level!, notObserved: false }
  }
  if (entry.notObserved === true) {
    if (!criterion.allowNotObserved) {
      problems.push({ pointer: `${at}/notObserved`, detail: `"${criterion.title}" cannot be marked not observed; give a level` })
      return undefined
    }
    return { ...base, levelValue: null, notObserved: true }
  }
  // Neither a level nor notObserved: true; only the evidence of an existing score may change.
  if (!before) {
    problems.push({ pointer: at, detail: `"${criterion.title}" has no score yet: give a level${criterion.allowNotObserved ? ' or notObserved: true' : ''}` })
    return undefined
  }
  if (entry.notObserved === false && before.notObserved) {
    problems.push({ pointer: `${at}/notObserved`, detail: 'to replace "not observed" give a level; to remove the score send level: null' })
    return undefined
  }
  return { ...before, evidence }
}

function sameScore(a: ScoreState | undefined, b: ScoreState | undefined): boolean {
  if (!a || !b) return a === b
  return a.levelValue === b.levelValue && a.notObserved === b.notObserved && a.evidence === b.evidence
}

/** Every required criterion scored, or marked not observed where the rubric allows it. */
export function missingRequired(rubric: PinnedRubric, scores: ReadonlyMap<string, ScoreState>): FieldProblem[] {
  const problems: FieldProblem[] = []
  for (const area of rubric.areas) {
    for (const c of area.criteria) {
      if (!c.required || scores.has(c.key)) continue
      problems.push({
        pointer: `/scores/${c.key}`,
        detail: `"${c.title}" (${area.title}) is required: give a level${c.allowNotObserved ? ' or mark it not observed' : ''}`
      })
    }
  }
  return problems
}

/** Scores in rubric order, as they are stored and shown. */
export function orderedScores(rubric: PinnedRubric, scores: ReadonlyMap<string, ScoreState>): ScoreState[] {
  const out: ScoreState[] = []
  for (const area of rubric.areas) {
    for (const c of area.criteria) {
      const s = scores.get(c.key)
      if (s) out.push(s)
    }
  }
  return out
}
