import { setTimeout as sleep } from 'node:timers/promises'
import { and, asc, eq } from 'drizzle-orm'
import type { Db } from '../../src/db/client.ts'
import { apiKeys, auditEvents } from '../../src/db/schema/index.ts'

/** The audit rows about one object, oldest first. */
export function auditRowsFor(db: Db, objectType: string, objectId: string) {
  return db.select().from(auditEvents)
    .where(and(eq(auditEvents.objectType, objectType), eq(auditEvents.objectId, objectId)))
    .orderBy(asc(auditEvents.id))
}

/** The whole stored row of a key, hash included: what an attacker with the database would see. */
export async function storedKey(db: Db, id: string) {
  const [row] = await db.select().from(apiKeys).where(eq(apiKeys.id, id))
  return row
}

/**
 * Polls until `done` holds (or the time is up) and returns the last value read. For effects the
 * server deliberately makes after answering, such as recording a key's last use.
 */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 3000): Promise<T> {
  const until = Date.now() + timeoutMs
  let value = await read()
  while (!done(value) && Date.now() < until) {
    await sleep(25)
    value = await read()
  }
  return value
}
