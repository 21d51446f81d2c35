import { and, eq, sql } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { accounts } from '../db/schema/index.ts'
import { accountUsable } from '../modules/identity/sessions.ts'
import { clientAddress, countAttempt, type ThrottleRule } from '../modules/identity/throttle.ts'
import { queueResetRequest } from './queue.ts'

/** The account a forgot-password request for `address` may reach: a usable person's account with that email. */
export async function findResetAccount(db: Db, address: string): Promise<{ id: string; hasPassword: boolean } | undefined> {
  const [account] = await db.select({ id: accounts.id, hasPassword: sql<boolean>`${accounts.passwordHash} is not null` })
    .from(accounts).where(and(eq(sql`lower(${accounts.email})`, address.trim().toLowerCase()), accountUsable))
  return account
}

/**
 * Forgot-password requests, limited per address asked for (so nobody floods one inbox) and per
 * client (so nobody sprays many addresses). Separate keys from sign-in's: asking for a link never
 * costs anyone sign-in attempts.
 */
export const RESET_RULES = {
  email: { free: 3, firstWaitSeconds: 15 * 60, maxWaitSeconds: 6 * 3600, forgetAfterSeconds: 24 * 3600 },
  client: { free: 10, firstWaitSeconds: 60, maxWaitSeconds: 3600, forgetAfterSeconds: 3600 }
} as const satisfies Record<string, ThrottleRule>

/**
 * Queues a forgot-password request unless throttled, and tells the caller nothing: the same
 * statements run whether or not the address has an account (the worker looks it up later), so
 * neither the answer nor its timing says which addresses are known.
 */
export async function requestPasswordReset(db: Db, request: { email: string; client: string }, now: Date): Promise<void> {
  const email = request.email.trim().toLowerCase()
  if (!/^[^@\s]+@[^@\s]+$/.test(email)) return
  await db.transaction(async (tx) => {
    if (await countAttempt(tx, `reset-client:${clientAddress(request.client)}`, RESET_RULES.client, now) > 0) return
    if (await countAttempt(tx, `reset-email:${email}`, RESET_RULES.email, now) > 0) return
    await queueResetRequest(tx, email)
  })
}
