import type { FieldProblem } from '../../errors.ts'
import type { EligibilityRules } from './eligibility-schemas.ts'

/**
 * What the schema cannot say: levels must lie on the rubric's scale, a kind that would contradict
 * itself appears once (two windows, two "all acknowledged"), and a modality is asked for once.
 * Pointers are relative to the rules object (`/rules/2/minLevel`).
 */
export function rulesProblems(rules: EligibilityRules, scaleValues: readonly number[]): FieldProblem[] {
  const out: FieldProblem[] = []
  const min = Math.min(...scaleValues)
  const max = Math.max(...scaleValues)
  const seen = new Map<string, number>()
  rules.rules.forEach((rule, i) => {
    const at = `/rules/${i}`
    if ((rule.kind === 'areaMeans' || rule.kind === 'criterionFloor') && (rule.minLevel < min || rule.minLevel > max)) {
      out.push({ pointer: `${at}/minLevel`, detail: `must lie on the rubric's scale, from ${min} to ${max}` })
    }
    const identity = rule.kind === 'minModality' ? `${rule.kind}:${rule.modality}` : rule.kind
    const once = rule.kind === 'window' || rule.kind === 'allAcknowledged' || rule.kind === 'minModality'
    const first = seen.get(identity)
    if (once && first !== undefined) out.push({ pointer: `${at}/kind`, detail: `repeats rule ${first}; a program has at most one such rule` })
    else seen.set(identity, i)
  })
  return out
}
