/**
 * The arithmetic of an observation's summary, kept pure so it can be tested on its own and reused by
 * reports. An area's score is the weighted mean of its scored criteria's level values; "not observed"
 * and unscored criteria count for nothing (neither as zero nor in the divisor). The overall score is
 * the weighted mean of the area scores, leaving out areas with no score at all.
 */

export interface WeightedCriterion {
  key: string
  weight: number
}

export interface WeightedArea {
  key: string
  title: string
  weight: number
  criteria: WeightedCriterion[]
}

export interface AreaSummary {
  areaKey: string
  title: string
  score: number | null
  scoredCriteria: number
  totalCriteria: number
}

export interface ScoreSummary {
  areas: AreaSummary[]
  overall: number | null
}

/** Two decimals, half away from zero, without binary artefacts (1.005 -> 1.01). */
export function round2(value: number): number {
  return Math.sign(value) * Math.round(Number((Math.abs(value) * 100).toPrecision(15))) / 100
}

function weightedMean(pairs: Array<{ value: number; weight: number }>): number | null {
  let sum = 0
  let weights = 0
  for (const { value, weight } of pairs) {
    sum += value * weight
    weights += weight
  }
  return weights > 0 ? sum / weights : null
}

/**
 * @param levels level value by criterion key; a criterion absent here, or mapped to null (not
 *   observed), is left out of the means.
 */
export function summarize(areas: WeightedArea[], levels: ReadonlyMap<string, number | null>): ScoreSummary {
  const exact: Array<{ value: number; weight: number }> = []
  const summaries = areas.map((area) => {
    const scored: Array<{ value: number; weight: number }> = []
    for (const c of area.criteria) {
      const level = levels.get(c.key)
      if (typeof level === 'number') scored.push({ value: level, weight: c.weight })
    }
    const score = weightedMean(scored)
    // The overall score uses the unrounded area scores, so rounding happens once, at the end.
    if (score !== null) exact.push({ value: score, weight: area.weight })
    return {
      areaKey: area.key,
      title: area.title,
      score: score === null ? null : round2(score),
      scoredCriteria: scored.length,
      totalCriteria: area.criteria.length
    }
  })
  const overall = weightedMean(exact)
  return { areas: summaries, overall: overall === null ? null : round2(overall) }
}
