import { and, desc, lt, or, sql, type SQL } from 'drizzle-orm'
import type { PgColumn } from 'drizzle-orm/pg-core'
import { ERRORS } from '../errors.ts'

export interface Cursor { createdAt: Date; id: string }

export function encodeCursor(row: { createdAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString('base64url')
}

export function decodeCursor(cursor: string | undefined): Cursor | undefined {
  if (cursor === undefined) return undefined
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string]
    const createdAt = new Date(at)
    if (Number.isNaN(createdAt.getTime()) || typeof id !== 'string') throw new Error('bad cursor')
    return { createdAt, id }
  } catch {
    throw ERRORS.validation([{ pointer: '/query/cursor', detail: 'is not a cursor this API returned' }])
  }
}

/**
 * Newest first, ties broken by id, so pages never skip or repeat a row. Postgres keeps microseconds
 * but a cursor (a JS Date) carries milliseconds, so order and compare at millisecond precision:
 * otherwise rows created in the same millisecond as a page's last row would be skipped.
 */
export function keyset(createdAt: PgColumn, id: PgColumn, cursor: Cursor | undefined): { where: SQL | undefined; orderBy: SQL[] } {
  const at = sql`date_trunc('milliseconds', ${createdAt})`
  const cursorAt = cursor && sql`${cursor.createdAt.toISOString()}::timestamptz`
  const where = cursor
    ? or(sql`${at} < ${cursorAt}`, and(sql`${at} = ${cursorAt}`, lt(id, cursor.id)))
    : undefined
  return { where, orderBy: [sql`${at} desc`, desc(id)] }
}

/** Fetch limit + 1 rows, then call this to cut the page and compute the next cursor. */
export function toPage<T extends { createdAt: Date; id: string }>(rows: T[], limit: number): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit)
  const last = items[items.length - 1]
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null }
}
