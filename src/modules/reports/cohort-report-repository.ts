import { sql, type SQL } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { rows } from '../../db/rows.ts'
import type { CohortTraineeRow } from './cohort-report-schemas.ts'

/** What selects a report's trainees and observations; dates are YYYY-MM-DD. */
export interface CohortScope {
  cohortId: string
  programId: string
  organizationId?: string | undefined
  from?: string | undefined
  to?: string | undefined
}

/** A trainee's figures as the database computes them; the service derives the report row from it. */
export type TraineeAggregate = Pick<CohortTraineeRow,
  'name' | 'email' | 'organization' | 'externalHrId' | 'observations' | 'acknowledged' | 'supervisors' | 'lastObservationOn'> & {
  id: string
  daysSinceLast: number | null
  /** Level by criterion key of the latest observation; "not observed" left out. */
  levels: Record<string, number> | null
}

export interface KeysetPosition { name: string; id: string }

/** Active trainees of the cohort (deactivated ones left the programme), optionally of one organization. */
const traineeFilter = (s: CohortScope) => sql`tr.cohort_id = ${s.cohortId} and tr.active
  ${s.organizationId === undefined ? sql`` : sql`and tr.organization_id = ${s.organizationId}`}`

/** Submitted or acknowledged observations under the cohort's programme, in the date range. */
const observationFilter = (s: CohortScope) => sql`ob.program_id = ${s.programId} and ob.status <> 'draft'
  ${s.from === undefined ? sql`` : sql`and ob.session_date >= ${s.from}::date`}
  ${s.to === undefined ? sql`` : sql`and ob.session_date <= ${s.to}::date`}`

/** Each trainee's latest observation: the last session, then the last submitted. */
const latestOf = (from: SQL) => sql`select distinct on (o.trainee_id) o.trainee_id, o.id
  from ${from} o order by o.trainee_id, o.session_date desc, o.submitted_at desc nulls last, o.id desc`

/**
 * One batch of the report: up to `limit` trainees after `after` in (name, id) order, each with
 * their counts, last session and the levels of their latest observation, in a single set-based
 * query. Callers page through with the last row's (name, id): constant memory at any cohort size,
 * the same on a Postgres server and on PGlite.
 */
export function traineeBatch(db: Db, scope: CohortScope, asOf: string, after: KeysetPosition | null, limit: number) {
  return rows<TraineeAggregate>(db, sql`
    with t as (
      select tr.id, tr.name, tr.email, tr.external_hr_id, org.name as organization
      from trainees tr join organizations org on org.id = tr.organization_id
      where ${traineeFilter(scope)} ${after === null ? sql`` : sql`and (tr.name, tr.id) > (${after.name}, ${after.id}::uuid)`}
      order by tr.name, tr.id limit ${limit}
    ), o as (
      select ob.id, ob.trainee_id, ob.supervisor_id, ob.session_date, ob.status, ob.submitted_at
      from observations ob where ob.trainee_id in (select id from t) and ${observationFilter(scope)}
    ), agg as (
      select trainee_id, count(*)::int as observations, (count(*) filter (where status = 'acknowledged'))::int as acknowledged,
        count(distinct supervisor_id)::int as supervisors, max(session_date) as last_date
      from o group by trainee_id
    ), latest as (${latestOf(sql`o`)}
    ), levels as (
      select l.trainee_id, json_object_agg(s.criterion_key, s.level_value) as levels
      from latest l join observation_scores s on s.observation_id = l.id
      where s.level_value is not null group by l.trainee_id
    )
    select t.id, t.name, t.email, t.organization, t.external_hr_id as "externalHrId",
      coalesce(a.observations, 0) as observations, coalesce(a.acknowledged, 0) as acknowledged,
      coalesce(a.supervisors, 0) as supervisors, to_char(a.last_date, 'YYYY-MM-DD') as "lastObservationOn",
      (${asOf}::date - a.last_date)::int as "daysSinceLast", lv.levels
    from t left join agg a on a.trainee_id = t.id left join levels lv on lv.trainee_id = t.id
    order by t.name, t.id`)
}

export interface CriterionMean { criterionKey: string; mean: number; trainees: number }

/** Mean level per criterion over each trainee's latest observation, lowest first, in one query. */
export function criterionMeans(db: Db, scope: CohortScope) {
  return rows<CriterionMean>(db, sql`
    with o as (
      select ob.id, ob.trainee_id, ob.session_date, ob.submitted_at
      from observations ob join trainees tr on tr.id = ob.trainee_id
      where ${traineeFilter(scope)} and ${observationFilter(scope)}
    ), latest as (${latestOf(sql`o`)})
    select s.criterion_key as "criterionKey", avg(s.level_value)::float8 as mean, count(*)::int as trainees
    from latest l join observation_scores s on s.observation_id = l.id
    where s.level_value is not null
    group by s.criterion_key order by mean, s.criterion_key`)
}
