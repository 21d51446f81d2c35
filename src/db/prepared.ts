import type { Query, SQL } from 'drizzle-orm'
import { PgDialect, PgTransaction } from 'drizzle-orm/pg-core'
import type { Db } from './client.ts'

const prepared = new WeakMap<Db, Map<string, unknown>>()

/**
 * A statement built and prepared once per database handle, for the hot paths: drizzle then skips
 * building the SQL on every request, and Postgres skips parsing and planning it. Never use it with
 * a transaction handle (prepared statements belong to the handle they were made on).
 */
export function preparedOnce<T>(db: Db, name: string, build: () => T): T {
  let statements = prepared.get(db)
  if (!statements) prepared.set(db, statements = new Map())
  let statement = statements.get(name) as T | undefined
  if (!statement) statements.set(name, statement = build())
  return statement
}

export type PreparedRows<R> = { execute(params: Record<string, unknown>): Promise<{ rows: R[] }> }

/**
 * A fixed statement (its values all `sql.placeholder`s) run prepared on any handle. On the database
 * handle it is made once (preparedOnce); in a transaction it is made for the transaction's
 * connection each time under the same name, which node-postgres parses once per connection. Rows
 * come back as the driver gives them (timestamps as text: map them with the column's
 * mapFromDriverValue). The one use of drizzle's session API outside observation-insert.ts.
 */
export function preparedStatement<R>(name: string, build: () => SQL): (db: Db, params: Record<string, unknown>) => Promise<{ rows: R[] }> {
  let query: Query | undefined
  const make = (db: Db): PreparedRows<R> => {
    query ??= new PgDialect().sqlToQuery(build())
    return db._.session.prepareQuery<{ execute: { rows: R[] }; all: unknown; values: unknown }>(query, undefined, name, false)
  }
  return (db, params) => (inTransaction(db) ? make(db) : preparedOnce(db, name, () => make(db))).execute(params)
}

const inTransaction = (db: Db): boolean => db instanceof PgTransaction
