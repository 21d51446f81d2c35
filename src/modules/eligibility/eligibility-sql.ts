import { sql, type SQL } from 'drizzle-orm'
import type { Rule } from './eligibility-schemas.ts'
import { monthsBefore, type EligibilityArea } from './evaluate.ts'

/**
 * Eligibility of many trainees in one statement: each rule becomes a column of "actual" values
 * computed over all trainees at once, then a met flag per rule and the number of unmet rules. No
 * query per trainee. Rules read each trainee's evidence row (trainee_evidence, kept by triggers):
 * one row per trainee holding, newest first, what the rules need of each submitted observation, its
 * levels included. A trainee's figures come from that row alone (the day's window applied to its
 * dates), so the work is a fixed amount per trainee: no sort or hash table spans the whole program,
 * and the time grows with the number of trainees, not faster.
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
 * met. `perTrainee` is an aggregate over the trainee's counted observations (as agg.r<i>); `ctes`
 * are statements of its own, for what the evidence row does not hold.
 */
interface RuleColumn { perTrainee?: SQL; ctes: SQL[]; actual: SQL; met: (actual: SQL) => SQL }

const atLeast = (required: number) => (actual: SQL) => sql`coalesce(${actual} >= ${required}, false)`

function ruleColumn(rule: Rule, i: number, areas: EligibilityArea[], criterionKeys: string[], observationFilter: SQL): RuleColumn {
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
      const means = areas.map((a) => sql`round(avg((area_scores ->> ${a.key}::text)::numeric) filter (where rn <= ${rule.latest}), 2)`)
      return {
        perTrainee: sql`case when ${sql.join(means.map((m) => sql`${m} is not null`), sql` and `)} then least(${sql.join(means, sql`, `)}) end`,
        ctes: [], actual: own, met: (a) => sql`coalesce(${a} >= ${rule.minLevel}, false)`
      }
    }
    case 'criterionFloor': return {
      perTrainee: sql`min(min_level) filter (where rn <= ${rule.latest})`, ctes: [],
      actual: own, met: (a) => sql`coalesce(${a} >= ${rule.minLevel}, false)`
    }
    case 'everyCriterionObserved': {
      // How often each criterion was scored; the rule looks at the least scored one. The evidence row
      // holds each observation's bitmask; a rubric of more criteria than it has bits is counted from
      // the summaries' arrays instead, in a statement of its own.
      if (criterionKeys.length <= MASK_BITS) {
        return {
          perTrainee: sql`least(${sql.join(criterionKeys.map((_, bit) => sql`sum(((scored_mask >> ${sql.raw(String(bit))}) & 1)::int)`), sql`, `)})::int`,
          ctes: [], actual: sql`coalesce(${own}, 0)`, met: atLeast(rule.times)
        }
      }
      return {
        ctes: [sql`${cte} as (
          select o.trainee_id, least(${sql.join(criterionKeys.map((k) => sql`sum((sm.scored_criteria @> array[${k}]::text[])::int)`), sql`, `)})::int as actual
          from observations o join scope_trainees st on st.id = o.trainee_id
          join observation_summaries sm on sm.observation_id = o.id
          where ${observationFilter} group by o.trainee_id)`],
        actual: sql`coalesce(${cte}.actual, 0)`, met: atLeast(rule.times)
      }
    }
  }
}

/** The CTE `evaluated`: one row per active trainee of the program (or cohort) with unmet, unmet_rules and actual_<i>. */
export function evaluatedCte(rules: Rule[], areas: EligibilityArea[], scope: EligibilityScope): SQL {
  const months = Math.min(...rules.flatMap((r) => (r.kind === 'window' ? [r.months] : [])))
  const since = Number.isFinite(months) ? monthsBefore(scope.asOf, months) : null
  const inWindow = (date: SQL) => sql`${date} <= ${scope.asOf}::date ${since === null ? sql`` : sql`and ${date} > ${since}::date`}`
  const observationFilter = sql`o.program_id = ${scope.programId} and o.status <> 'draft' and ${inWindow(sql`o.session_date`)}`
  const criterionKeys = areas.flatMap((a) => a.criteria.map((c) => c.key))
  const columns = rules.map((rule, i) => ruleColumn(rule, i, areas, criterionKeys, observationFilter))
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
    ${sql.join(columns.flatMap((c) => c.ctes).map((c) => sql`${c},`), sql` `)}
    evaluated as (
      select st.id as trainee_id, st.name, st.cohort_id,
        ${sql.join(columns.map((c, i) => sql`${c.actual} as ${sql.raw(`actual_${i}`)}`), sql`, `)},
        (${sql.join(mets.map((m) => sql`(not ${m})::int`), sql` + `)}) as unmet,
        array_remove(array[${sql.join(mets.map((m, i) => sql`case when not ${m} then ${i}::int end`), sql`, `)}], null) as unmet_rules
      from scope_trainees st
      left join trainee_evidence te on te.trainee_id = st.id and te.program_id = ${scope.programId}
      cross join lateral (
        -- The trainee's own observations in the window, numbered newest first (the arrays' order);
        -- a trainee without evidence has none, and still one row of figures.
        select count(*)::int as n, sum(duration_minutes)::int as minutes,
          (count(*) filter (where not acknowledged))::int as unacknowledged,
          count(distinct supervisor_id)::int as supervisors, count(distinct setting)::int as settings
          ${sql.join(columns.flatMap((c, i) => (c.perTrainee ? [sql`, ${c.perTrainee} as ${sql.raw(`r${i}`)}`] : [])), sql``)}
        from (
          select e.*, row_number() over (order by e.position) as rn
          from unnest(te.session_dates, te.supervisor_ids, te.modalities, te.settings, te.durations, te.acknowledged,
            te.min_levels, te.scored_masks, te.area_scores) with ordinality
            as e(session_date, supervisor_id, modality, setting, duration_minutes, acknowledged, min_level, scored_mask, area_scores, position)
          where ${inWindow(sql`e.session_date`)}
        ) counted
      ) agg${sql.join(joins, sql``)}
    )`
}
