import { and, asc, getTableColumns, gte, sql, type SQL } from 'drizzle-orm'
import type { PgTable } from 'drizzle-orm/pg-core'
import { Type, type TSchema } from 'typebox'
import type { Db } from '../db/client.ts'
import { rows } from '../db/rows.ts'
import { ERRORS } from '../errors.ts'
import { toDto, type Managed, type ManagedTable, type PageRequest, type RowOf } from './crud.ts'
import { Nullable } from './schemas.ts'

/**
 * Delta sync: "what changed since T" over a table whose updated_at the database stamps itself
 * (trigger rapport_stamp_updated_at, migration 0008: clock_timestamp() at the write, so never
 * earlier than the writing transaction's start, and never the application's clock).
 *
 * A transaction that began before a sync and commits after it has rows the sync could not see,
 * stamped earlier than the sync. Each sync therefore answers a watermark (`syncedThrough`) for the
 * client's next `updatedSince`: the start of the oldest transaction still open when the sync
 * began, or the sync's own start when none is. Every row the sync could not see was written by a
 * transaction open then or begun later, so it is stamped at or after the watermark and the next
 * sync (updated_at >= watermark) returns it. Rows near the watermark may come twice: clients upsert.
 */

/**
 * The watermark, read BEFORE the rows (its own statement, so under READ COMMITTED, the default,
 * the rows' snapshot is taken later; never call it in a REPEATABLE READ transaction):
 * any transaction open at the rows' snapshot either shows in pg_stat_activity here or started after
 * this statement did. pg_stat_activity hides when another role's transaction started; one of those
 * holding a transaction id (it has written) holds the watermark back to the server's start, a safe
 * bound. PGlite has one connection and no other transaction: there it is the statement's start.
 * Truncated to milliseconds, the precision of an RFC 3339 time in JavaScript, so never later.
 */
export async function syncWatermark(db: Db): Promise<string> {
  const [row] = await rows<{ watermark: string }>(db, sql`
    select to_char(date_trunc('milliseconds', least(
      statement_timestamp(),
      (select min(a.xact_start) from pg_stat_activity a
        where a.datname = current_database() and a.backend_type = 'client backend' and a.pid <> pg_backend_pid()),
      (select pg_postmaster_start_time() from pg_stat_activity a
        where a.datname = current_database() and a.backend_xid is not null and a.xact_start is null limit 1)
    )) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as watermark`)
  return row!.watermark
}

/** A delta page's position: the last row's exact updated_at (microseconds, as text) and id, and the first page's watermark. */
interface DeltaCursor { at: string; id: string; watermark: string }

const TAG = 'delta'

function encodeDeltaCursor(c: DeltaCursor): string {
  return Buffer.from(JSON.stringify([TAG, c.at, c.id, c.watermark])).toString('base64url')
}

function decodeDeltaCursor(cursor: string): DeltaCursor {
  try {
    const [tag, at, id, watermark] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[]
    const valid = tag === TAG && typeof at === 'string' && typeof id === 'string' && typeof watermark === 'string'
      && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/.test(at) && /^[0-9a-f-]{36}$/i.test(id) && !Number.isNaN(Date.parse(watermark))
    if (!valid) throw new Error('bad cursor')
    return { at, id, watermark }
  } catch {
    throw ERRORS.validation([{ pointer: '/query/cursor', detail: 'is not a cursor of a delta sync (updatedSince) this API returned' }])
  }
}

export interface DeltaPage<R> { items: R[]; nextCursor: string | null; syncedThrough: string }

/** What a list answers: a page, and for a delta sync its watermark. */
export interface ListPage<R> { items: R[]; nextCursor: string | null; syncedThrough?: string }

/** Route side: the page as the API shows it (`syncedThrough` only for a delta sync). */
export function listAnswer<R extends Managed>(page: ListPage<R>) {
  return {
    items: page.items.map(toDto), nextCursor: page.nextCursor,
    ...(page.syncedThrough === undefined ? {} : { syncedThrough: page.syncedThrough })
  }
}

/**
 * The rows changed (or deactivated) at or after `since`, oldest change first, ties by id, so pages
 * never skip or repeat a row; a row changed again while the client pages moves behind the cursor
 * and comes with this pass or the next. Every page of one pass carries the first page's watermark:
 * a later page's would be too late for rows that committed while the client paged.
 */
export async function listChanges<T extends ManagedTable>(
  db: Db, table: T, conditions: (SQL | undefined)[], since: string, page: PageRequest
): Promise<DeltaPage<RowOf<T>>> {
  const cursor = page.cursor === undefined ? undefined : decodeDeltaCursor(page.cursor)
  const watermark = cursor?.watermark ?? await syncWatermark(db)
  const position = cursor && sql`(${table.updatedAt}, ${table.id}) > (${cursor.at}::timestamp at time zone 'UTC', ${cursor.id}::uuid)`
  const found = await db.select({
    ...getTableColumns(table as PgTable),
    syncAt: sql<string>`to_char(${table.updatedAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`
  }).from(table as PgTable)
    .where(and(...conditions, gte(table.updatedAt, new Date(since)), position))
    .orderBy(asc(table.updatedAt), asc(table.id)).limit(page.limit + 1) as unknown as (RowOf<T> & { syncAt: string })[]
  const items = found.slice(0, page.limit)
  const last = items[items.length - 1]
  const nextCursor = found.length > page.limit && last ? encodeDeltaCursor({ at: last.syncAt, id: last.id, watermark }) : null
  return { items: items.map(({ syncAt: _syncAt, ...row }) => row as RowOf<T>), nextCursor, syncedThrough: watermark }
}

/** The query parameter. */
export const UpdatedSince = Type.Optional(Type.String({
  format: 'date-time', maxLength: 40,
  description: 'Delta sync: only records created, changed or deactivated at or after this RFC 3339 time, oldest change first (then by id). Pass the previous answer\'s syncedThrough. For a first full sync, 1970-01-01T00:00:00Z.'
}))

/** A list page that, for a delta sync, also carries the watermark. */
export const SyncPage = <T extends TSchema>(item: T) => Type.Object({
  items: Type.Array(item, { maxItems: 200 }),
  nextCursor: Nullable(Type.String({ maxLength: 400, description: 'Pass as cursor for the next page (with the same query); null on the last page.' })),
  syncedThrough: Type.Optional(Type.String({
    format: 'date-time', maxLength: 40,
    description: 'With updatedSince only: the updatedSince to send next time (the same on every page of one pass). No later than the start of the oldest write still in progress, so a change that commits late is never missed.'
  }))
})
