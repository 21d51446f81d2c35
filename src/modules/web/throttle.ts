import { eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { signInThrottle } from '../../db/schema/index.ts'

/**
 * Failed sign-ins slow further attempts on the same email down: after FREE_FAILURES, each failure
 * doubles the wait before the next attempt is even checked (1 s, 2 s, 4 s … up to 15 minutes).
 * A success clears the count. Kept in the database, so every instance of the service agrees.
 */
const FREE_FAILURES = 3
const MAX_WAIT_SECONDS = 15 * 60
/** Failures older than this are forgiven. */
const FORGET_AFTER_SECONDS = 60 * 60

export const throttleKey = (email: string) => `email:${email.trim().toLowerCase()}`

/** Seconds to wait before the next attempt may be checked; 0 when it may be now. */
export async function waitSeconds(db: Db, key: string, now: Date): Promise<number> {
  const [row] = await db.select().from(signInThrottle).where(eq(signInThrottle.key, key))
  if (!row?.blockedUntil) return 0
  return Math.max(0, Math.ceil((row.blockedUntil.getTime() - now.getTime()) / 1000))
}

export async function recordFailure(db: Db, key: string, now: Date): Promise<void> {
  const forgetBefore = new Date(now.getTime() - FORGET_AFTER_SECONDS * 1000)
  await db.insert(signInThrottle).values({ key, failures: 1, lastFailureAt: now }).onConflictDoUpdate({
    target: signInThrottle.key,
    set: {
      failures: sql`case when ${signInThrottle.lastFailureAt} < ${forgetBefore} then 1 else ${signInThrottle.failures} + 1 end`,
      lastFailureAt: now
    }
  })
  const [row] = await db.select({ failures: signInThrottle.failures }).from(signInThrottle).where(eq(signInThrottle.key, key))
  const over = (row?.failures ?? 0) - FREE_FAILURES
  const blockedUntil = over > 0 ? new Date(now.getTime() + Math.min(MAX_WAIT_SECONDS, 2 ** (over - 1)) * 1000) : null
  await db.update(signInThrottle).set({ blockedUntil }).where(eq(signInThrottle.key, key))
}

export async function clearFailures(db: Db, key: string): Promise<void> {
  await db.delete(signInThrottle).where(eq(signInThrottle.key, key))
}
