import { randomBytes } from 'node:crypto'
import { and, eq, gt, isNull, ne, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { accountInvitations, accounts } from '../../db/schema/index.ts'
import { ERRORS } from '../../errors.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import { coordinatorAccountProblems } from '../accounts/coordinator-accounts.ts'
import { recordAudit } from '../../db/audit.ts'
import { hashPassword, passwordProblem, verifyPassword } from './passwords.ts'
import { createSession, endSessionsOf, tokenHash } from './sessions.ts'
import { clearFailures, recordFailure, throttleKey, waitSeconds } from './throttle.ts'

/** Invitation links stay valid this long, and work once. */
const INVITATION_DAYS = 7

export type SignInResult =
  | { ok: true; token: string }
  | { ok: false; reason: 'wrong' } | { ok: false; reason: 'wait'; seconds: number }

/** Email and password to a new session, slowed down after repeated failures on the same email. */
export async function signIn(db: Db, email: string, password: string, now: Date, requestId: string): Promise<SignInResult> {
  const key = throttleKey(email)
  const wait = await waitSeconds(db, key, now)
  if (wait > 0) return { ok: false, reason: 'wait', seconds: wait }
  const [account] = await db.select({ id: accounts.id, passwordHash: accounts.passwordHash }).from(accounts)
    .where(and(sql`lower(${accounts.email}) = ${email.trim().toLowerCase()}`, eq(accounts.active, true), ne(accounts.role, 'integrator')))
  // Checked even without an account (against a decoy), so timing does not tell which emails exist.
  if (!(await verifyPassword(password, account?.passwordHash ?? null)) || !account) {
    await recordFailure(db, key, now)
    return { ok: false, reason: 'wrong' }
  }
  await clearFailures(db, key)
  return db.transaction(async (tx) => {
    const session = await createSession(tx, account.id, now)
    await recordAudit(tx, { principal: { accountId: account.id }, requestId }, {
      action: 'account.sign_in', objectType: 'account', objectId: account.id
    })
    return { ok: true as const, token: session.token }
  })
}

/** A one-time link for the account's person to set a password; earlier unused links stop working. */
export async function createInvitation(db: Db, ctx: RequestContext, accountId: string, baseUrl: string, now: Date): Promise<{ url: string; expiresAt: string }> {
  return db.transaction(async (tx) => {
    const [account] = await tx.select({ id: accounts.id, role: accounts.role, email: accounts.email, active: accounts.active, traineeId: accounts.traineeId, supervisorId: accounts.supervisorId })
      .from(accounts).where(eq(accounts.id, accountId)).for('update')
    // A coordinator invites only the people of their programs; anyone else's account is not found.
    if (!account || (await coordinatorAccountProblems(tx, ctx.principal, account)).length > 0) throw ERRORS.notFound('account', accountId)
    if (account.role === 'integrator') throw ERRORS.unprocessable('Integrations use API keys; only people sign in to the web pages.')
    if (!account.email) throw ERRORS.unprocessable('The account has no email address to sign in with; set one first.', [{ pointer: '/email', detail: 'is required to sign in' }])
    if (!account.active) throw ERRORS.conflict('The account is deactivated; reactivate it first.')
    await tx.update(accountInvitations).set({ usedAt: now }).where(and(eq(accountInvitations.accountId, accountId), isNull(accountInvitations.usedAt)))
    const token = randomBytes(32).toString('base64url')
    const expiresAt = new Date(now.getTime() + INVITATION_DAYS * 86_400_000)
    await tx.insert(accountInvitations).values({ tokenHash: tokenHash(token), accountId, createdBy: ctx.principal.accountId, createdAt: now, expiresAt })
    await recordAudit(tx, ctx, { action: 'account.invite', objectType: 'account', objectId: accountId, changes: { expiresAt: expiresAt.toISOString() } })
    return { url: `${baseUrl.replace(/\/$/, '')}/invitations/${token}`, expiresAt: expiresAt.toISOString() }
  })
}

export async function findInvitation(db: Db, token: string, now: Date) {
  const [row] = await db.select({ accountId: accounts.id, name: accounts.name, email: accounts.email })
    .from(accountInvitations).innerJoin(accounts, eq(accounts.id, accountInvitations.accountId))
    .where(and(eq(accountInvitations.tokenHash, tokenHash(token)), isNull(accountInvitations.usedAt), gt(accountInvitations.expiresAt, now), eq(accounts.active, true)))
  return row
}

export type AcceptResult = { ok: true; sessionToken: string } | { ok: false; field: 'password' | 'confirm' | 'token'; message: string }

/** Sets the password from an invitation (once), ends the person's other sessions, and signs them in. */
export async function acceptInvitation(db: Db, token: string, password: string, confirm: string, now: Date, requestId: string): Promise<AcceptResult> {
  return db.transaction(async (tx) => {
    const [invitation] = await tx.select().from(accountInvitations)
      .where(and(eq(accountInvitations.tokenHash, tokenHash(token)), isNull(accountInvitations.usedAt), gt(accountInvitations.expiresAt, now))).for('update')
    const account = invitation && (await tx.select().from(accounts).where(and(eq(accounts.id, invitation.accountId), eq(accounts.active, true))))[0]
    if (!invitation || !account) return { ok: false, field: 'token', message: 'This link has expired or was already used. Ask your coordinator for a new one.' }
    const problem = passwordProblem(password, { email: account.email, name: account.name })
    if (problem) return { ok: false, field: 'password', message: problem }
    if (password !== confirm) return { ok: false, field: 'confirm', message: 'The two passwords differ; type the same password twice.' }
    await tx.update(accounts).set({ passwordHash: await hashPassword(password), revision: sql`${accounts.revision} + 1`, updatedAt: now }).where(eq(accounts.id, account.id))
    await tx.update(accountInvitations).set({ usedAt: now }).where(eq(accountInvitations.tokenHash, invitation.tokenHash))
    await endSessionsOf(tx, account.id)
    const session = await createSession(tx, account.id, now)
    await recordAudit(tx, { principal: { accountId: account.id }, requestId }, {
      action: 'account.password_set', objectType: 'account', objectId: account.id
    })
    return { ok: true, sessionToken: session.token }
  })
}
