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
