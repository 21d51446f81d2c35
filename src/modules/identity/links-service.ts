import { randomBytes } from 'node:crypto'
import { and, eq, gt, isNull, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { recordAudit } from '../../db/audit.ts'
import { accountInvitations, accounts } from '../../db/schema/index.ts'
import { ERRORS, problem } from '../../errors.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import { queueMail } from '../../mail/queue.ts'
import { coordinatorAccountProblems } from '../accounts/coordinator-accounts.ts'
import { hashPassword, passwordProblem } from './passwords.ts'
import type { IdentityPolicy } from './policy.ts'
import { accountUsable, endSessionsOf, tokenHash } from './sessions.ts'
import { startSession, type Started } from './sign-in-service.ts'

/**
 * One-time links that set a password. An invitation gives a password to an account that has
 * none; an account that has one gets a new one only through a password reset an admin makes
 * (audited, short-lived), which also ends the account's sessions. A coordinator can therefore
 * never take over an existing account by inviting it. Every link is also mailed to the account's
 * address, queued in the link's own transaction.
 */
export type LinkPurpose = 'invitation' | 'password-reset'

/** Invitations stay valid long enough to reach a new person; a reset link only briefly. */
const VALID_MS: Record<LinkPurpose, number> = { invitation: 7 * 86_400_000, 'password-reset': 60 * 60_000 }
const PATH: Record<LinkPurpose, string> = { invitation: 'invitations', 'password-reset': 'password-resets' }

export interface Link { url: string; expiresAt: string }

/** A one-time link for the account's person to set their first password; earlier unused links stop working. */
export async function createInvitation(db: Db, ctx: RequestContext, accountId: string, baseUrl: string, now: Date): Promise<Link> {
  return createLink(db, ctx, accountId, 'invitation', baseUrl, now)
}

/** Admins only (the route says so): a one-time link to replace the account's password. */
export async function createPasswordReset(db: Db, ctx: RequestContext, accountId: string, baseUrl: string, now: Date): Promise<Link> {
  return createLink(db, ctx, accountId, 'password-reset', baseUrl, now)
}

/**
 * Creates the link and queues its mail. `ctx` null is the person's own "forgot password" (the mail
 * worker calls it once it found the account): no caller's scope to check, and the account itself
 * is the audit's actor.
 */
export async function createLink(db: Db, ctx: RequestContext | null, accountId: string, purpose: LinkPurpose, baseUrl: string, now: Date): Promise<Link> {
  return db.transaction(async (tx) => {
    const [account] = await tx.select({
      id: accounts.id, role: accounts.role, name: accounts.name, email: accounts.email, active: accounts.active, traineeId: accounts.traineeId,
      supervisorId: accounts.supervisorId, hasPassword: sql<boolean>`${accounts.passwordHash} is not null`
    }).from(accounts).where(eq(accounts.id, accountId)).for('update')
    // A coordinator invites only the people of their programs; anyone else's account is not found.
    if (!account || (ctx && (await coordinatorAccountProblems(tx, ctx.principal, account)).length > 0)) throw ERRORS.notFound('account', accountId)
    if (account.role === 'integrator') throw problem('account-signs-in-with-keys', 'Integrations use API keys; only people sign in to the web pages.')
    if (!account.email) throw problem('account-email-missing', 'The account has no email address to sign in with; set one first.', { errors: [{ pointer: '/email', detail: 'is required to sign in' }] })
    if (!account.active) throw problem('account-inactive', 'The account is deactivated; reactivate it first.')
    if (purpose === 'invitation' && account.hasPassword) {
      throw problem('account-has-password', 'The account already has a password; an admin can send a password reset (POST /v1/accounts/{id}/password-resets).')
    }
    if (purpose === 'password-reset' && !account.hasPassword) {
      throw problem('account-has-no-password', 'The account has no password yet; send an invitation (POST /v1/accounts/{id}/invitations).')
    }
    await tx.update(accountInvitations).set({ usedAt: now }).where(and(eq(accountInvitations.accountId, accountId), isNull(accountInvitations.usedAt)))
    const token = randomBytes(32).toString('base64url')
    const expiresAt = new Date(now.getTime() + VALID_MS[purpose])
    await tx.insert(accountInvitations).values({ tokenHash: tokenHash(token), accountId, purpose, createdBy: ctx?.principal.accountId ?? accountId, createdAt: now, expiresAt })
    await recordAudit(tx, ctx ?? { principal: { accountId }, requestId: null }, {
      action: purpose === 'invitation' ? 'account.invite' : 'account.password_reset', objectType: 'account', objectId: accountId,
      changes: { expiresAt: expiresAt.toISOString(), ...(ctx ? {} : { via: 'forgot-password' }) }
    })
    const link = { url: `${baseUrl.replace(/\/$/, '')}/${PATH[purpose]}/${token}`, expiresAt: expiresAt.toISOString() }
    const template = purpose === 'invitation' ? 'invitation' : ctx ? 'password-reset-by-admin' : 'password-reset'
    await queueMail(tx, { template, to: account.email, accountId, vars: { name: account.name, link: link.url, expiresAt: link.expiresAt } })
    return link
  })
}

/** An unused, unexpired link of this purpose, with the person it is for. */
export async function findLink(db: Db, purpose: LinkPurpose, token: string, now: Date) {
  const [row] = await db.select({ accountId: accounts.id, name: accounts.name, email: accounts.email })
    .from(accountInvitations).innerJoin(accounts, eq(accounts.id, accountInvitations.accountId))
    .where(and(eq(accountInvitations.tokenHash, tokenHash(token)), eq(accountInvitations.purpose, purpose), isNull(accountInvitations.usedAt),
      gt(accountInvitations.expiresAt, now), accountUsable, purpose === 'invitation' ? isNull(accounts.passwordHash) : undefined))
  return row
}

export type AcceptResult = ({ ok: true } & Started) | { ok: false; field: 'password' | 'confirm' | 'token'; message: string }

/**
 * Sets the password from a link (once), ends every session of the account, and signs the person
 * in (through the second factor when they have one). An invitation is refused when a password was
 * set meanwhile: it never replaces one.
 */
export async function acceptLink(db: Db, policy: IdentityPolicy, purpose: LinkPurpose, token: string, form: { password: string; confirm: string; address: string }, now: Date, requestId: string): Promise<AcceptResult> {
  return db.transaction(async (tx) => {
    const [link] = await tx.select().from(accountInvitations)
      .where(and(eq(accountInvitations.tokenHash, tokenHash(token)), eq(accountInvitations.purpose, purpose), isNull(accountInvitations.usedAt), gt(accountInvitations.expiresAt, now))).for('update')
    const [account] = link ? await tx.select().from(accounts).where(and(eq(accounts.id, link.accountId), accountUsable)).for('update') : []
    if (!link || !account || (purpose === 'invitation' && account.passwordHash !== null)) {
      return { ok: false, field: 'token', message: 'This link has expired or was already used.' }
    }
    const weak = passwordProblem(form.password, { email: account.email, name: account.name })
    if (weak) return { ok: false, field: 'password', message: weak }
    if (form.password !== form.confirm) return { ok: false, field: 'confirm', message: 'The two passwords differ; type the same password twice.' }
    await tx.update(accounts).set({ passwordHash: await hashPassword(form.password), revision: sql`${accounts.revision} + 1`, updatedAt: now }).where(eq(accounts.id, account.id))
    await tx.update(accountInvitations).set({ usedAt: now }).where(eq(accountInvitations.tokenHash, link.tokenHash))
    const ended = await endSessionsOf(tx, account.id)
    await recordAudit(tx, { principal: { accountId: account.id }, requestId }, {
      action: 'account.password_set', objectType: 'account', objectId: account.id, changes: { via: purpose, sessionsEnded: ended }
    })
    return { ok: true, ...await startSession(tx, policy, account, form.address, now, requestId) }
  })
}
