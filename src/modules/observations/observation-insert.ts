import { getTableColumns, sql, type Table } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { auditEvents, observationRevisions, observationScores, observations } from '../../db/schema/index.ts'
import type { RequestContext } from '../accounts/principal.ts'
import type { ScoreState } from './observation-edits.ts'
import type { NewRevision } from './observations-repository.ts'

/**
 * The hot path of API clients posting finished observations: the observation, all its scores, its
 * first revision and its audit row written by ONE statement (inserts chained in a WITH). One round
 * trip, atomic like a transaction (a statement is one), foreign keys checked at its end.
 *
 * Each table's rows travel as one JSON parameter, expanded by json_populate_record(set) into rows of
 * the table's own type, so the statement text is fixed and costs nothing to build however many
 * scores there are. The keys are the tables' column names, taken from the drizzle schema.
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

export interface NewObservation {
  /** Every column is given: json_populate_record leaves a missing one null, not defaulted. */
  row: Required<typeof observations.$inferInsert>
  scores: ScoreState[]
  revision: NewRevision
  audit: { action: string; changes: Record<string, unknown> }
}

export async function insertNewObservation(db: Db, ctx: RequestContext, w: NewObservation): Promise<void> {
  const audit = {
    actorAccountId: ctx.principal.accountId, requestId: ctx.requestId,
    action: w.audit.action, objectType: 'observation', objectId: w.row.id, changes: w.audit.changes
  }
  await db.execute(sql`
    with o as (
      insert into ${observations} select * from json_populate_recordset(null::${observations}, ${observationRows([w.row])}::json)
    ), s as (
      insert into ${observationScores} select * from json_populate_recordset(null::${observationScores}, ${scoreRows(w.scores.map((s) => ({ observationId: w.row.id, ...s })))}::json)
    ), r as (
      insert into ${observationRevisions} select * from json_populate_recordset(null::${observationRevisions}, ${revisionRows([{ ...w.revision }])}::json)
    )
    insert into ${auditEvents} (actor_account_id, request_id, action, object_type, object_id, changes)
    select actor_account_id, request_id, action, object_type, object_id, changes
    from json_populate_recordset(null::${auditEvents}, ${auditRows([audit])}::json)`)
}
