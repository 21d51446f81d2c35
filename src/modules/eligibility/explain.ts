import { MODALITY_IN_SENTENCE } from '../../lib/modality.ts'
import type { Rule } from './eligibility-schemas.ts'
import { monthsBefore } from './evaluate.ts'

/** Rules and what they still need, in the words a coordinator would use with the trainee. */
const ORDINALS = ['first', 'second', 'third', 'fourth', 'fifth', 'sixth', 'seventh', 'eighth', 'ninth', 'tenth']

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`
const level = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(2))

export function describeRule(rule: Rule, asOf: string): string {
  switch (rule.kind) {
    case 'minObservations': return `At least ${plural(rule.count, 'submitted observation')}`
    case 'minSupervisors': return `Observed by at least ${plural(rule.count, 'different supervisor')}`
    case 'minModality': return `At least ${plural(rule.count, `${MODALITY_IN_SENTENCE[rule.modality]} observation`)}`
    case 'minSettings': return `Observed in at least ${plural(rule.count, 'different setting')}`
    case 'minMinutes': return `At least ${plural(rule.minutes, 'minute')} of observed practice`
    case 'areaMeans': return `Every skill area averages ${level(rule.minLevel)} or above over the latest ${plural(rule.latest, 'observation')}`
    case 'criterionFloor': return `No criterion scored below ${level(rule.minLevel)} in the latest ${plural(rule.latest, 'observation')}`
    case 'everyCriterionObserved': return `Every criterion scored at least ${rule.times === 1 ? 'once' : `${rule.times} times`} (not "not observed")`
    case 'window': return `Only observations of the last ${plural(rule.months, 'month')} count (after ${monthsBefore(asOf, rule.months)}); at least one is needed`
    case 'allAcknowledged': return 'Every observation acknowledged by the trainee'
  }
}

/** What is missing, as one sentence; `detail` names the areas or criteria that fall short. */
export function missingSentence(rule: Rule, actual: number | null, detail: string[]): string {
  const have = actual ?? 0
  switch (rule.kind) {
    case 'minObservations': return `Needs ${plural(rule.count - have, 'more observation')} (has ${have} of ${rule.count}).`
    case 'minSupervisors': {
      const short = rule.count - have
      return short === 1
        ? `Needs 1 more observation by a ${ORDINALS[have] ?? `${have + 1}th`} supervisor.`
        : `Needs observations by ${short} more supervisors (has ${have} of ${rule.count}).`
    }
    case 'minModality': return `Needs ${plural(rule.count - have, `more ${MODALITY_IN_SENTENCE[rule.modality]} observation`)} (has ${have} of ${rule.count}).`
    case 'minSettings': return `Needs observations in ${plural(rule.count - have, 'more setting')} (has ${have} of ${rule.count}).`
    case 'minMinutes': return `Needs ${plural(rule.minutes - have, 'more minute')} of observed practice (has ${have} of ${rule.minutes}).`
    case 'areaMeans': return `Below ${level(rule.minLevel)} over the latest ${plural(rule.latest, 'observation')}: ${detail.join('; ')}.`
    case 'criterionFloor': return actual === null
      ? `No criterion has been scored in the latest ${plural(rule.latest, 'observation')} yet.`
      : `A criterion was scored ${level(actual)}, below ${level(rule.minLevel)}, in the latest ${plural(rule.latest, 'observation')}.`
    case 'everyCriterionObserved': return `Needs more scores for: ${detail.join('; ')}.`
    case 'window': return `Needs an observation in the last ${plural(rule.months, 'month')}.`
    case 'allAcknowledged': return `The trainee still has to acknowledge ${plural(have, 'observation')}.`
  }
}
