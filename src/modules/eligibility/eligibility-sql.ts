import { sql, type SQL } from 'drizzle-orm'
import type { Rule } from './eligibility-schemas.ts'
import { monthsBefore, type EligibilityArea } from './evaluate.ts'

/**
 * Eligibility of many trainees in one statement: each rule becomes a column of "actual" values
 * computed over all trainees at once, then a met flag per rule and the number of unmet rules. No
 * query per trainee. Rules about levels read each observation's summary (observation_summaries,
 * kept by a trigger), not its score rows: a tenth of the rows, and no join with the largest table.
 *
 * What is sorted stays narrow: the one sort (numbering each trainee's observations newest first)
 * carries only the columns the rules need, and the area scores (a jsonb per observation) are joined
 * in for the latest K only. Every other figure comes from one hash aggregate by trainee, distinct
 * counts included (over each trainee's own few dozen values), so nothing sorts the observations again.
 * The meaning of each rule is the one evaluate.ts spells out; the tests hold the two to each other.
 */
export interface EligibilityScope {
  programId: string
  cohortId?: string | undefined
  organizationId?: string | undefined
  /** Only these trainees (a batch of a report): the work is then proportional to the batch. */
  traineeIds?: string[] | undefined
  asOf: string
}

/** Rubrics of up to this many criteria are checked with the summary's bitmask (integer arithmetic), larger ones with its array. */
const MASK_BITS = 63

/**
 * A rule's column: its actual value (`actual`, an expression over the joined CTEs) and whether it is
 * met. `perTrainee` is an aggregate computed in the one pass over the counted observations (as
 * agg.r<i>); `ctes` are statements of its own, for what that pass cannot see.
 */
interface RuleColumn { perTrainee?: SQL; ctes: SQL[]; actual: SQL; met: (actual: SQL) => SQL }

const atLeast = (required: number) => (actual: SQL) => sql`coalesce(${actual} >= ${required}, false)`

function ruleColumn(rule: Rule, i: number, areas: EligibilityArea[], criterionKeys: string[]): RuleColumn {
  const cte = sql.raw(`r${i}`)
  const own = sql.raw(`agg.r${i}`)
  switch (rule.kind) {
    case 'minObservations': return { ctes: [], actual: sql`coalesce(agg.n, 0)`, met: atLeast(rule.count) }
    case 'minSupervisors': return { ctes: [], actual: sql`coalesce(agg.supervisors, 0)`, met: atLeast(rule.count) }
    case 'minSettings': return { ctes: [], actual: sql`coalesce(agg.settings, 0)`, met: atLeast(rule.count) }
    case 'minMinutes': return { ctes: [], actual: sql`coalesce(agg.minutes, 0)`, met: atLeast(rule.minutes) }
    case 'window': return { ctes: [], actual: sql`coalesce(agg.n, 0)`, met: atLeast(1) }
    case 'allAcknowledged': return { ctes: [], actual: sql`coalesce(agg.unacknowledged, 0)`, met: (a) => sql`${a} = 0` }
    case 'minModality': return {
      perTrainee: sql`(count(*) filter (where modality = ${rule.modality}))::int`, ctes: [],
      actual: sql`coalesce(${own}, 0)`, met: atLeast(rule.count)
    }
    case 'areaMeans': {
      // Each area's mean over the latest K observations' area scores (as their summaries computed
      // them), rounded; the rule looks at the lowest, and at none when an area has no score at all.
      const means = areas.map((a) => sql`round(avg((area_scores ->> ${a.key}::text)::numeric), 2)`)
      return {
        ctes: [sql`${cte} as (
          select c.trainee_id, case when ${sql.join(means.map((m) => sql`${m} is not null`), sql` and `)} then least(${sql.join(means, sql`, `)}) end as actual
          from counted c join observation_summaries sm on sm.observation_id = c.id where c.rn <= ${rule.latest} group by c.trainee_id)`],
        actual: sql`${cte}.actual`, met: (a) => sql`coalesce(${a} >= ${rule.minLevel}, false)`
      }
    }
    case 'criterionFloor': return {
      perTrainee: sql`min(min_level) filter (where rn <= ${rule.latest})`, ctes: [],
      actual: own, met: (a) => sql`coalesce(${a} >= ${rule.minLevel}, false)`
    }
    case 'everyCriterionObserved': return {
      // How often each criterion was scored; the rule looks at the least scored one.
      perTrainee: sql`least(${sql.join(criterionKeys.map((k, bit) => (criterionKeys.length <= MASK_BITS
        ? sql`sum(((scored_mask >> ${sql.raw(String(bit))}) & 1)::int)`
        : sql`sum((scored_criteria @> array[${k}]::text[])::int)`)), sql`, `)})::int`,
      ctes: [], actual: sql`coalesce(${own}, 0)`, met: atLeast(rule.times)
    }
  }
}

/** The CTE `evaluated`: one row per active trainee of the program (or cohort) with unmet, unmet_rules and actual_<i>. */
export function evaluatedCte(rules: Rule[], areas: EligibilityArea[], scope: EligibilityScope): SQL {
  const months = Math.min(...rules.flatMap((r) => (r.kind === 'window' ? [r.months] : [])))
  const since = Number.isFinite(months) ? monthsBefore(scope.asOf, months) : null
  const observationFilter = sql`o.program_id = ${scope.programId} and o.status <> 'draft' and o.session_date <= ${scope.asOf}::date
        ${since === null ? sql`` : sql`and o.session_date > ${since}::date`}`
  const criterionKeys = areas.flatMap((a) => a.criteria.map((c) => c.key))
  const columns = rules.map((rule, i) => ruleColumn(rule, i, areas, criterionKeys))
  const joins = columns.flatMap((c, i) => (c.ctes.length > 0 ? [sql.raw(` left join r${i} on r${i}.trainee_id = st.id`)] : []))
  const mets = columns.map((c) => c.met(c.actual))
  return sql`
    scope_trainees as (
      select t.id, t.name, t.cohort_id from trainees t join cohorts co on co.id = t.cohort_id
      where co.program_id = ${scope.programId} and t.active
        ${scope.cohortId === undefined ? sql`` : sql`and co.id = ${scope.cohortId}`}
        ${scope.organizationId === undefined ? sql`` : sql`and t.organization_id = ${scope.organizationId}`}
        ${scope.traineeIds === undefined ? sql`` : sql`and t.id = any(${`{${scope.traineeIds.join(',')}}`}::uuid[])`}
    ),
    counted as (
      select o.id, o.trainee_id, o.supervisor_id, o.modality, btrim(o.setting) as setting, o.duration_minutes, o.status, sm.min_level,
        ${criterionKeys.length <= MASK_BITS ? sql`sm.scored_mask` : sql`sm.scored_criteria`},
        row_number() over (partition by o.trainee_id order by o.session_date desc, o.id desc) as rn
      from observations o join scope_trainees st on st.id = o.trainee_id
      left join observation_summaries sm on sm.observation_id = o.id
      where ${observationFilter}
    ),
    agg as (
      -- One pass over the counted observations for every per-trainee figure. A trainee has a few
      -- dozen observations, so the distinct counts are taken over each trainee's own small array.
      select trainee_id, count(*)::int as n, sum(duration_minutes)::int as minutes,
        (count(*) filter (where status <> 'acknowledged'))::int as unacknowledged,
        (select count(distinct s) from unnest(array_agg(supervisor_id)) s)::int as supervisors,
        (select count(distinct s) from unnest(array_agg(setting)) s)::int as settings
        ${sql.join(columns.flatMap((c, i) => (c.perTrainee ? [sql`, ${c.perTrainee} as ${sql.raw(`r${i}`)}`] : [])), sql``)}
      from counted group by trainee_id
    ),
    ${sql.join(columns.flatMap((c) => c.ctes).map((c) => sql`${c},`), sql` `)}
    evaluated as (
      select st.id as trainee_id, st.name, st.cohort_id,
        ${sql.join(columns.map((c, i) => sql`${c.actual} as ${sql.raw(`actual_${i}`)}`), sql`, `)},
        (${sql.join(mets.map((m) => sql`(not ${m})::int`), sql` + `)}) as unmet,
        array_remove(array[${sql.join(mets.map((m, i) => sql`case when not ${m} then ${i}::int end`), sql`, `)}], null) as unmet_rules
      from scope_trainees st left join agg on agg.trainee_id = st.id${sql.join(joins, sql``)}
    )`
}
