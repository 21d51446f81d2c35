import { getTableColumns, sql, type Table } from 'drizzle-orm'
import { PgDialect } from 'drizzle-orm/pg-core'
import type { Db } from '../../db/client.ts'
import { auditEvents, events, observationRevisions, observationScores, observations } from '../../db/schema/index.ts'
import { EVENT_CATALOG } from '../../events/catalog.ts'
import { observationEvent } from '../../events/subjects.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import type { ScoreState } from './observation-edits.ts'
import { preparedOnce } from '../../db/prepared.ts'
import { placementSelect, type CreatorRole, type PlacementParams } from './observation-placement.ts'
import type { NewRevision } from './observations-repository.ts'

/**
 * The hot path of API clients posting finished observations: ONE prepared statement checks the
 * placement and writes the observation, all its scores, its first revision, its audit row and,
 * when it is submitted at once, its observation.submitted event (inserts chained in a WITH; the
 * event's organization is the placed trainee's, read by the guard anyway). It is atomic like a transaction (a statement is one), the foreign
 * keys are checked at its end, and it writes nothing at all unless the placement still holds and
 * still names the programme and rubric version the content was validated against.
 *
 * Each table's rows travel as one JSON parameter, expanded by json_populate_recordset into rows of
 * the table's own type, so the statement text is fixed whatever the number of scores. The keys are
 * the tables' column names, taken from the drizzle schema.
 */
function rowsOf<T extends Table>(table: T) {
  const columns = Object.entries(getTableColumns(table)).map(([key, column]) => [key, column.name] as const)
  return (values: Array<Record<string, unknown>>): string => JSON.stringify(values.map((value) => {
    const row: Record<string, unknown> = {}
    for (const [key, name] of columns) if (value[key] !== undefined) row[name] = value[key]
    return row
  }))
}

const observationRows = rowsOf(observations)
const scoreRows = rowsOf(observationScores)
const revisionRows = rowsOf(observationRevisions)
const auditRows = rowsOf(auditEvents)
const eventRows = rowsOf(events)
const json = (name: string) => sql`${sql.placeholder(name)}::json`

function guardedInsert(db: Db, role: CreatorRole, name: string) {
  const query = new PgDialect().sqlToQuery(sql`
    with placed as ${placementSelect(db, role)},
    ok as (
      select 1 from placed
      where visible and assigned and supervisor_active and trainee_active and cohort_active and program_active
        and program_id = ${sql.placeholder('programId')}::uuid and rubric_version_id = ${sql.placeholder('rubricVersionId')}::uuid
    ), o as (
      insert into ${observations}
      select * from json_populate_recordset(null::${observations}, ${json('observations')}) where exists (select 1 from ok)
      returning id
    ), s as (
      insert into ${observationScores}
      select * from json_populate_recordset(null::${observationScores}, ${json('scores')}) where exists (select 1 from o)
    ), r as (
      insert into ${observationRevisions}
      select * from json_populate_recordset(null::${observationRevisions}, ${json('revisions')}) where exists (select 1 from o)
    ), a as (
      insert into ${auditEvents} (actor_account_id, request_id, action, object_type, object_id, changes)
      select actor_account_id, request_id, action, object_type, object_id, changes
      from json_populate_recordset(null::${auditEvents}, ${json('audit')}) where exists (select 1 from o)
    ), e as (
      insert into ${events} (type, subject_type, subject_id, organization_ids, program_ids, actor_account_id, request_id, data)
      select ev.type, ev.subject_type, ev.subject_id, array[placed.organization_id], ev.program_ids, ev.actor_account_id, ev.request_id, ev.data
      from json_populate_recordset(null::${events}, ${json('events')}) ev, placed where exists (select 1 from o)
    )
    select count(*)::int as inserted from o`)
  return db._.session.prepareQuery<{ execute: { rows: Array<{ inserted: number }> }; all: unknown; values: unknown }>(query, undefined, name, false)
}

export interface NewObservation {
  /** Every column is given: json_populate_recordset leaves a missing one null, not defaulted. */
  row: Required<typeof observations.$inferInsert>
  scores: ScoreState[]
  revision: NewRevision
  audit: { action: string; changes: Record<string, unknown> }
}

/** The row of a created-and-submitted observation's event, but for its organization (the statement's placement). */
function submitted(ctx: RequestContext, row: NewObservation['row']) {
  const event = observationEvent('observation.submitted', { ...row, status: 'submitted' })
  return {
    type: event.type, subjectType: EVENT_CATALOG[event.type].subject, subjectId: event.subjectId, programIds: event.programIds,
    actorAccountId: ctx.principal.accountId, requestId: ctx.requestId, data: event.data
  }
}

/** Writes the new observation if its placement holds; false (and nothing written) if not. */
export async function insertNewObservation(db: Db, ctx: RequestContext, role: CreatorRole, placement: PlacementParams, w: NewObservation): Promise<boolean> {
  const name = `observation_insert_${role}`
  const statement = preparedOnce(db, name, () => guardedInsert(db, role, name))
  const audit = {
    actorAccountId: ctx.principal.accountId, requestId: ctx.requestId,
    action: w.audit.action, objectType: 'observation', objectId: w.row.id, changes: w.audit.changes
  }
  const result = await statement.execute({
    ...placement,
    programId: w.row.programId,
    rubricVersionId: w.row.rubricVersionId,
    observations: observationRows([w.row]),
    scores: scoreRows(w.scores.map((s) => ({ observationId: w.row.id, ...s }))),
    revisions: revisionRows([{ ...w.revision }]),
    audit: auditRows([audit]),
    events: eventRows(w.row.status === 'submitted' && !ctx.eventsOff ? [submitted(ctx, w.row)] : [])
  })
  return result.rows[0]?.inserted === 1
}
