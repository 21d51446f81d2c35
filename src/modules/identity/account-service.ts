import { eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { recordAudit } from '../../db/audit.ts'
import { accounts } from '../../db/schema/index.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import { hashPassword, passwordProblem, verifyPassword } from './passwords.ts'
import { endSessionsOf } from './sessions.ts'
import { clearAttempts, countAttempt, RULES } from './throttle.ts'

/** A signed-in person's own password and sessions, from the account page or the API. */
export type PasswordChange =
  | { ok: true; sessionsEnded: number }
  | { ok: false; field: 'current' | 'password' | 'confirm'; message: string }
  | { ok: false; field: 'wait'; seconds: number; message: string }

const passwordKey = (accountId: string) => `password:${accountId}`

/**
 * Changes the password when the current one is given (throttled like a sign-in, so a session
 * left open does not let someone guess it), and ends every other session of the account:
 * `keep` is the web session in use, kept signed in; from the API every web session ends.
 */
export async function changePassword(db: Db, ctx: RequestContext, form: { current: string; password: string; confirm?: string }, keep: string | undefined, now: Date): Promise<PasswordChange> {
  const accountId = ctx.principal.accountId
  const wait = await countAttempt(db, passwordKey(accountId), RULES.account, now)
  if (wait > 0) return { ok: false, field: 'wait', seconds: wait, message: `Too many attempts. Wait ${wait} second${wait === 1 ? '' : 's'}, then try again.` }
  const [account] = await db.select({ email: accounts.email, name: accounts.name, passwordHash: accounts.passwordHash }).from(accounts).where(eq(accounts.id, accountId))
  if (!account || !(await verifyPassword(form.current, account.passwordHash))) {
    return { ok: false, field: 'current', message: 'That is not your current password.' }
  }
  const weak = passwordProblem(form.password, account)
  if (weak) return { ok: false, field: 'password', message: weak }
  if (form.confirm !== undefined && form.password !== form.confirm) return { ok: false, field: 'confirm', message: 'The two passwords differ; type the same password twice.' }
  const passwordHash = await hashPassword(form.password)
  return db.transaction(async (tx) => {
    await tx.update(accounts).set({ passwordHash, revision: sql`${accounts.revision} + 1`, updatedAt: now }).where(eq(accounts.id, accountId))
    const sessionsEnded = await endSessionsOf(tx, accountId, keep)
    await clearAttempts(tx, passwordKey(accountId))
    await recordAudit(tx, ctx, { action: 'account.password_change', objectType: 'account', objectId: accountId, changes: { sessionsEnded } })
    return { ok: true as const, sessionsEnded }
  })
}

/** The person's own password, checked and throttled like a sign-in (before turning two-factor off). */
export async function checkOwnPassword(db: Db, accountId: string, password: string, now: Date): Promise<{ ok: true } | { ok: false; seconds?: number; message: string }> {
  const wait = await countAttempt(db, passwordKey(accountId), RULES.account, now)
  if (wait > 0) return { ok: false, seconds: wait, message: `Too many attempts. Wait ${wait} second${wait === 1 ? '' : 's'}, then try again.` }
  const [account] = await db.select({ passwordHash: accounts.passwordHash }).from(accounts).where(eq(accounts.id, accountId))
  if (!account || !(await verifyPassword(password, account.passwordHash))) return { ok: false, message: 'That is not your current password.' }
  await clearAttempts(db, passwordKey(accountId))
  return { ok: true }
}

/** Every web session of the caller's account ends, the one in use included: every device signs in again. */
export async function signOutEverywhere(db: Db, ctx: RequestContext): Promise<number> {
  return db.transaction(async (tx) => {
    const ended = await endSessionsOf(tx, ctx.principal.accountId)
    await recordAudit(tx, ctx, { action: 'account.sign_out_everywhere', objectType: 'account', objectId: ctx.principal.accountId, changes: { sessionsEnded: ended } })
    return ended
  })
}
