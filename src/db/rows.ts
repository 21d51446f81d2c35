import type { SQL } from 'drizzle-orm'
import type { Db } from './client.ts'

/** The rows of a raw SQL statement: node-postgres and PGlite both answer raw SQL with { rows }. */
export async function rows<T>(db: Db, query: SQL): Promise<T[]> {
  return ((await db.execute(query)) as unknown as { rows: T[] }).rows
}
