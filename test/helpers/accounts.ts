import { setTimeout as sleep } from 'node:timers/promises'
import { and, asc, eq } from 'drizzle-orm'
import type { Db } from '../../src/db/client.ts'
import { apiKeys, auditEvents } from '../../src/db/schema/index.ts'
import type { Client } from './app.ts'

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

/**
 * An invitation link for a person: their account is created, or, for a trainee or supervisor who
 * has one already (one account per person), reused and given this name and email.
 */
export async function invitationFor(admin: Client, account: { role: string; name: string; email: string } & Record<string, unknown>): Promise<string> {
  const created = await admin.post('/v1/accounts', { body: account })
  const existing = created.statusCode === 409 && created.json().code === 'person-has-account' ? created.json().accountId as string : undefined
  if (existing) {
    const named = await admin.patch(`/v1/accounts/${existing}`, { body: { name: account.name, email: account.email } })
    if (named.statusCode !== 200) throw new Error(`naming the account failed: ${named.body}`)
  } else if (created.statusCode !== 201) throw new Error(`creating the account failed: ${created.body}`)
  const invite = await admin.post(`/v1/accounts/${existing ?? created.json().id}/invitations`)
  if (invite.statusCode !== 201) throw new Error(`inviting failed: ${invite.body}`)
  return invite.json().url as string
}
