import type { SQL } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { findRow, type ManagedTable } from './crud.ts'

/** The members a 409 on a duplicate carries to name the record that already holds the value. */
export interface ExistingRecord { existingId: string; existingUrl: string }

/**
 * Names the record that holds a unique value (`existingId`, `existingUrl`) only when the caller may
 * see it: `scope` is the caller's scope over the table (src/modules/access/policy.ts). Outside it,
 * nothing, so the 409 says the value is taken without revealing whose it is.
 */
export async function visibleExisting<T extends ManagedTable>(
  db: Db, table: T, id: string, scope: SQL | undefined, urlBase: string
): Promise<ExistingRecord | undefined> {
  const row = await findRow(db, table, id, scope)
  return row ? { existingId: row.id, existingUrl: `${urlBase}/${row.id}` } : undefined
}
