import { sql, type SQL } from 'drizzle-orm'
import type { Rule } from './eligibility-schemas.ts'
import { monthsBefore, type EligibilityArea } from './evaluate.ts'

/**
 * Eligibility of many trainees in one statement: each rule becomes a column of "actual" values
 * computed over all trainees at once (aggregates over the counted observations, window functions
 * for "the latest K"), then a met flag per rule and the number of unmet rules. No query per trainee.
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

interface RuleColumn { ctes: SQL[]; actual: SQL; met: (actual: SQL) => SQL }

const atLeast = (required: number) => (actual: SQL) => sql`coalesce(${actual} >= ${required}, false)`

function ruleColumn(rule: Rule, i: number, areaCount: number): RuleColumn {
  const cte = sql.raw(`r${i}`)
  switch (rule.kind) {
    case 'minObservations': return { ctes: [], actual: sql`coalesce(agg.n, 0)`, met: atLeast(rule.count) }
    case 'minSupervisors': return { ctes: [], actual: sql`coalesce(agg.supervisors, 0)`, met: atLeast(rule.count) }
    case 'minSettings': return { ctes: [], actual: sql`coalesce(agg.settings, 0)`, met: atLeast(rule.count) }
    case 'minMinutes': return { ctes: [], actual: sql`coalesce(agg.minutes, 0)`, met: atLeast(rule.minutes) }
    case 'window': return { ctes: [], actual: sql`coalesce(agg.n, 0)`, met: atLeast(1) }
    case 'allAcknowledged': return { ctes: [], actual: sql`coalesce(agg.unacknowledged, 0)`, met: (a) => sql`${a} = 0` }
    case 'minModality': return {
      ctes: [sql`${cte} as (select trainee_id, count(*)::int as actual from counted where modality = ${rule.modality} group by trainee_id)`],
      actual: sql`coalesce(${cte}.actual, 0)`, met: atLeast(rule.count)
    }
    case 'areaMeans': return {
      // Area score per observation as an observation's own summary rounds it, then their mean, rounded.
      ctes: [sql`${cte} as (
        select trainee_id, case when count(*) = ${areaCount} then min(mean) end as actual from (
          select trainee_id, area_key, round(avg(score), 2) as mean from (
            select l.trainee_id, l.observation_id, cr.area_key,
              round((sum(l.level * cr.weight) / sum(cr.weight))::numeric, 2) as score
            from levels l join crit cr on cr.criterion_key = l.criterion_key
            where l.rn <= ${rule.latest}
            group by l.trainee_id, l.observation_id, cr.area_key
          ) per_observation group by trainee_id, area_key
        ) per_area group by trainee_id)`],
      actual: sql`${cte}.actual`, met: (a) => sql`coalesce(${a} >= ${rule.minLevel}, false)`
    }
    case 'criterionFloor': return {
      ctes: [sql`${cte} as (select trainee_id, min(level) as actual from levels where rn <= ${rule.latest} group by trainee_id)`],
      actual: sql`${cte}.actual`, met: (a) => sql`coalesce(${a} >= ${rule.minLevel}, false)`
    }
    case 'everyCriterionObserved': return {
      ctes: [sql`${cte} as (
        select st.id as trainee_id, min(coalesce(per_criterion.n, 0))::int as actual
        from scope_trainees st cross join crit
        left join (select trainee_id, criterion_key, sum(n) as n from levels group by trainee_id, criterion_key) per_criterion
          on per_criterion.trainee_id = st.id and per_criterion.criterion_key = crit.criterion_key
        group by st.id)`],
      actual: sql`${cte}.actual`, met: atLeast(rule.times)
    }
  }
}

/** The CTE `evaluated`: one row per active trainee of the program (or cohort) with unmet, unmet_rules and actual_<i>. */
export function evaluatedCte(rules: Rule[], areas: EligibilityArea[], scope: EligibilityScope): SQL {
  const months = Math.min(...rules.flatMap((r) => (r.kind === 'window' ? [r.months] : [])))
  const since = Number.isFinite(months) ? monthsBefore(scope.asOf, months) : null
  const crit = JSON.stringify(areas.flatMap((a) => a.criteria.map((c) => ({ criterion_key: c.key, area_key: a.key, weight: c.weight }))))
  const observationFilter = sql`o.program_id = ${scope.programId} and o.status <> 'draft' and o.session_date <= ${scope.asOf}::date
        ${since === null ? sql`` : sql`and o.session_date > ${since}::date`}`
  // The counted observations again, as a subquery rather than the CTE: joined to the score table,
  // the planner then knows their ids are distinct and hashes them, not the scores.
  const countedRows = sql`select o.id, o.trainee_id, row_number() over (partition by o.trainee_id order by o.session_date desc, o.id desc) as rn
    from observations o where o.trainee_id in (select id from scope_trainees) and ${observationFilter}`
  const columns = rules.map((rule, i) => ruleColumn(rule, i, areas.length))
  const readsLevels = rules.filter((r) => r.kind === 'areaMeans' || r.kind === 'criterionFloor' || r.kind === 'everyCriterionObserved')
  const latest = readsLevels.length === 0 ? null : Math.max(0, ...readsLevels.map((r) => ('latest' in r ? r.latest : 0)))
  const joins = columns.flatMap((c, i) => (c.ctes.length > 0 ? [sql.raw(` left join r${i} on r${i}.trainee_id = st.id`)] : []))
  const mets = columns.map((c) => c.met(c.actual))
  return sql`
    crit as (select * from jsonb_to_recordset(${crit}::jsonb) as x(criterion_key text, area_key text, weight float8)),
    scope_trainees as (
      select t.id, t.name, t.cohort_id from trainees t join cohorts co on co.id = t.cohort_id
      where co.program_id = ${scope.programId} and t.active
        ${scope.cohortId === undefined ? sql`` : sql`and co.id = ${scope.cohortId}`}
        ${scope.organizationId === undefined ? sql`` : sql`and t.organization_id = ${scope.organizationId}`}
        ${scope.traineeIds === undefined ? sql`` : sql`and t.id = any(${`{${scope.traineeIds.join(',')}}`}::uuid[])`}
    ),
    counted as (
      select o.id, o.trainee_id, o.supervisor_id, o.modality, btrim(o.setting) as setting, o.duration_minutes, o.status,
        row_number() over (partition by o.trainee_id order by o.session_date desc, o.id desc) as rn
      from observations o join scope_trainees st on st.id = o.trainee_id
      where ${observationFilter}
    ),
    ${latest === null ? sql`` : sql`levels as materialized (
      -- One pass over every scored level of the counted observations, for every rule that reads levels:
      -- one row per criterion of each of the latest ${sql.raw(String(latest))} observations (rn, observation_id set), and
      -- one per criterion for all the older ones together (rn and observation_id null), with their count.
      select c.trainee_id, s.criterion_key,
        case when c.rn <= ${latest} then c.rn end as rn, case when c.rn <= ${latest} then c.id end as observation_id,
        count(*) as n, min(s.level_value) as level
      from (${countedRows}) c join observation_scores s on s.observation_id = c.id and s.level_value is not null
      group by 1, 2, 3, 4
    ),`}
    agg as (
      select trainee_id, count(*)::int as n, count(distinct supervisor_id)::int as supervisors, count(distinct setting)::int as settings,
        sum(duration_minutes)::int as minutes, (count(*) filter (where status <> 'acknowledged'))::int as unacknowledged
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
