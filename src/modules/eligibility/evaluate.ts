import { summarize, round2 } from '../observations/scoring.ts'
import { describeRule, missingSentence } from './explain.ts'
import type { Rule, RuleResult } from './eligibility-schemas.ts'

/**
 * The meaning of every rule kind, for one trainee, in plain code: what the set-based SQL
 * (eligibility-sql.ts) computes for thousands of trainees at once, and what the tests hold both to.
 */
export interface EvaluatedObservation {
  id: string
  sessionDate: string
  supervisorId: string
  modality: string
  setting: string
  durationMinutes: number
  acknowledged: boolean
  /** Level by criterion key; null = not observed. */
  levels: ReadonlyMap<string, number | null>
}

/** The rubric's areas as scoring needs them, with criterion titles for the explanations. */
export interface EligibilityArea { key: string; title: string; weight: number; criteria: Array<{ key: string; weight: number; title: string }> }

export interface EvaluationContext {
  areas: EligibilityArea[]
  /** The day "the last N months" counts back from, YYYY-MM-DD. */
  asOf: string
}

/** YYYY-MM-DD minus whole months (the 31st of a month without one becomes its last day). */
export function monthsBefore(day: string, months: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number]
  const first = new Date(Date.UTC(y, m - 1 - months, 1))
  const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate()
  first.setUTCDate(Math.min(d, last))
  return first.toISOString().slice(0, 10)
}

/** Newest first: the session date, then the latest submitted (ids break exact ties, as in SQL). */
export function newestFirst(list: EvaluatedObservation[]): EvaluatedObservation[] {
  return [...list].sort((a, b) => (a.sessionDate === b.sessionDate ? (a.id < b.id ? 1 : -1) : a.sessionDate < b.sessionDate ? 1 : -1))
}

/** The observations every rule counts: those after the window's start, when a window rule is set. */
export function countedObservations(rules: Rule[], all: EvaluatedObservation[], asOf: string): EvaluatedObservation[] {
  const months = Math.min(...rules.flatMap((r) => (r.kind === 'window' ? [r.months] : [])))
  const since = Number.isFinite(months) ? monthsBefore(asOf, months) : null
  return newestFirst(all.filter((o) => o.sessionDate <= asOf && (since === null || o.sessionDate > since)))
}

interface Measured { required: number; actual: number | null; met: boolean; counted: EvaluatedObservation[] }

const atLeast = (required: number, actual: number, counted: EvaluatedObservation[]): Measured =>
  ({ required, actual, met: actual >= required, counted })

function areaMeans(ctx: EvaluationContext, latest: EvaluatedObservation[], minLevel: number): Measured & { below: Array<{ title: string; mean: number | null }> } {
  const sums = new Map<string, { total: number; n: number }>()
  for (const o of latest) {
    for (const a of summarize(ctx.areas, o.levels).areas) {
      if (a.score === null) continue
      const s = sums.get(a.areaKey) ?? { total: 0, n: 0 }
      s.total += a.score
      s.n += 1
      sums.set(a.areaKey, s)
    }
  }
  const means = ctx.areas.map((a) => {
    const s = sums.get(a.key)
    return { title: a.title, mean: s ? round2(s.total / s.n) : null }
  })
  const lowest = means.some((m) => m.mean === null) ? null : Math.min(...means.map((m) => m.mean!))
  return { required: minLevel, actual: lowest, met: lowest !== null && lowest >= minLevel, counted: latest, below: means.filter((m) => m.mean === null || m.mean < minLevel) }
}

function criterionFloor(latest: EvaluatedObservation[], minLevel: number): Measured {
  const levels = latest.flatMap((o) => [...o.levels.values()].filter((l): l is number => l !== null))
  const lowest = levels.length === 0 ? null : Math.min(...levels)
  return { required: minLevel, actual: lowest, met: lowest !== null && lowest >= minLevel, counted: latest }
}

function everyCriterion(ctx: EvaluationContext, counted: EvaluatedObservation[], times: number): Measured & { short: string[] } {
  const criteria = ctx.areas.flatMap((a) => a.criteria.map((c) => ({ key: c.key, title: c.title })))
  const scored = criteria.map((c) => ({ ...c, n: counted.filter((o) => typeof o.levels.get(c.key) === 'number').length }))
  const fewest = scored.length === 0 ? 0 : Math.min(...scored.map((c) => c.n))
  return {
    required: times, actual: fewest, met: fewest >= times,
    counted: counted.filter((o) => [...o.levels.values()].some((l) => l !== null)),
    short: scored.filter((c) => c.n < times).map((c) => `${c.title} (${c.n} of ${times})`)
  }
}

function measure(rule: Rule, ctx: EvaluationContext, counted: EvaluatedObservation[]): Measured & { detail?: string[] } {
  switch (rule.kind) {
    case 'minObservations': return atLeast(rule.count, counted.length, counted)
    case 'minSupervisors': return atLeast(rule.count, new Set(counted.map((o) => o.supervisorId)).size, counted)
    case 'minModality': {
      const inModality = counted.filter((o) => o.modality === rule.modality)
      return atLeast(rule.count, inModality.length, inModality)
    }
    case 'minSettings': return atLeast(rule.count, new Set(counted.map((o) => o.setting.replace(/^ +| +$/g, ''))).size, counted)
    case 'minMinutes': return atLeast(rule.minutes, counted.reduce((sum, o) => sum + o.durationMinutes, 0), counted)
    case 'areaMeans': {
      const r = areaMeans(ctx, counted.slice(0, rule.latest), rule.minLevel)
      return { ...r, detail: r.below.map((b) => (b.mean === null ? `${b.title}: not scored` : `${b.title}: ${b.mean.toFixed(2)}`)) }
    }
    case 'criterionFloor': return criterionFloor(counted.slice(0, rule.latest), rule.minLevel)
    case 'everyCriterionObserved': {
      const r = everyCriterion(ctx, counted, rule.times)
      return { ...r, detail: r.short }
    }
    case 'window': return atLeast(1, counted.length, counted)
    case 'allAcknowledged': {
      const open = counted.filter((o) => !o.acknowledged)
      return { required: 0, actual: open.length, met: open.length === 0, counted }
    }
  }
}

/** Every rule's result for one trainee, in the rule set's order. */
export function evaluateRules(rules: Rule[], ctx: EvaluationContext, observations: EvaluatedObservation[]): RuleResult[] {
  const counted = countedObservations(rules, observations, ctx.asOf)
  return rules.map((rule) => {
    const m = measure(rule, ctx, counted)
    return {
      kind: rule.kind,
      rule,
      required: m.required,
      actual: m.actual,
      met: m.met,
      description: describeRule(rule, ctx.asOf),
      missing: m.met ? null : missingSentence(rule, m.actual, m.detail ?? []),
      observations: m.counted.map((o) => ({ id: o.id, sessionDate: o.sessionDate }))
    }
  })
}
