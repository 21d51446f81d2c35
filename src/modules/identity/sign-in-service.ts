import { and, eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { recordAudit } from '../../db/audit.ts'
import { accountKnownAddresses, accounts } from '../../db/schema/index.ts'
import { verifyPassword } from './passwords.ts'
import { totpRequired, type IdentityPolicy } from './policy.ts'
import { accountUsable, createSession, endSession, type PendingStep } from './sessions.ts'
import {
  addressKey, clearAttempts, clientAddress, countAttempt, emailKey, knownAddressKey, refundAttempt, RULES
} from './throttle.ts'
import { ssoRequiredFor } from '../sso/sso-required.ts'
import { checkCode, confirmEnrolment, hasTwoFactor, type CodeResult } from './two-factor-service.ts'

/**
 * Signing in: email and password, then (when the account has it, or must have it) a second
 * factor. Every attempt is counted before the password is checked, on the client address and on
 * the account; the account's count is kept apart for each address it signed in from before, so
 * someone else's guesses never lock the owner out at their usual address.
 */
export interface SignInAttempt { email: string; password: string; address: string }
export interface Started { token: string; pending: PendingStep | null }
export type Refused = { ok: false; reason: 'wrong' } | { ok: false; reason: 'wait'; seconds: number }
/** The password was right, but the account's organization requires single sign-on. */
export type SsoRequired = { ok: false; reason: 'sso-required'; provider: { id: string; displayName: string } }
export type SignInResult = ({ ok: true } & Started) | Refused | SsoRequired

/** The account behind an email when it signed in from this address before. */
async function knownOwner(db: Db, email: string, address: string): Promise<string | undefined> {
  const [row] = await db.select({ id: accounts.id }).from(accountKnownAddresses)
    .innerJoin(accounts, eq(accounts.id, accountKnownAddresses.accountId))
    .where(and(sql`lower(${accounts.email}) = ${email.trim().toLowerCase()}`, eq(accountKnownAddresses.address, address)))
  return row?.id
}

export async function signIn(db: Db, policy: IdentityPolicy, attempt: SignInAttempt, now: Date, requestId: string): Promise<SignInResult> {
  const address = clientAddress(attempt.address)
  const fromAddress = await countAttempt(db, addressKey(address), RULES.address, now)
  if (fromAddress > 0) return { ok: false, reason: 'wait', seconds: fromAddress }
  const owner = await knownOwner(db, attempt.email, address)
  const [key, rule] = owner ? [knownAddressKey(owner, address), RULES.knownAddress] : [emailKey(attempt.email), RULES.account]
  const onAccount = await countAttempt(db, key, rule, now)
  if (onAccount > 0) return { ok: false, reason: 'wait', seconds: onAccount }

  const [account] = await db.select({ id: accounts.id, role: accounts.role, passwordHash: accounts.passwordHash }).from(accounts)
    .where(and(sql`lower(${accounts.email}) = ${attempt.email.trim().toLowerCase()}`, accountUsable))
  // Checked even without an account (against a decoy), so timing does not tell which emails exist.
  if (!(await verifyPassword(attempt.password, account?.passwordHash ?? null)) || !account) return { ok: false, reason: 'wrong' }
  await clearAttempts(db, key)
  await refundAttempt(db, addressKey(address), RULES.address)
  // Only after a right password, so the answer tells a guesser nothing about the account.
  const sso = await ssoRequiredFor(db, account.id)
  if (sso) return { ok: false, reason: 'sso-required', provider: sso }
  return { ok: true, ...await db.transaction((tx) => startSession(tx, policy, account, attempt.address, now, requestId)) }
}

/**
 * After a right password (or a password set from a link): a session, or a pending one when a
 * code is due (two-factor is on) or two-factor must first be set up (the role requires it).
 */
export async function startSession(tx: Db, policy: IdentityPolicy, account: { id: string; role: string }, address: string, now: Date, requestId: string): Promise<Started> {
  if (await hasTwoFactor(tx, account.id)) return { token: (await createSession(tx, account.id, now, 'second-factor')).token, pending: 'second-factor' }
  if (totpRequired(policy, account.role)) return { token: (await createSession(tx, account.id, now, 'enrol')).token, pending: 'enrol' }
  return { token: await finishSignIn(tx, account.id, address, now, requestId), pending: null }
}

/** The session itself; the address becomes one of the account's usual ones. */
export async function finishSignIn(tx: Db, accountId: string, address: string, now: Date, requestId: string, changes?: Record<string, unknown>): Promise<string> {
  const session = await createSession(tx, accountId, now)
  await tx.insert(accountKnownAddresses).values({ accountId, address: clientAddress(address), lastSignInAt: now })
    .onConflictDoUpdate({ target: [accountKnownAddresses.accountId, accountKnownAddresses.address], set: { lastSignInAt: now } })
  await recordAudit(tx, { principal: { accountId }, requestId }, { action: 'account.sign_in', objectType: 'account', objectId: accountId, ...(changes ? { changes } : {}) })
  return session.token
}

interface Pending { accountId: string; tokenHash: string }

/** The second step: a code from the authenticator app, or a recovery code (used up). */
export async function completeSecondFactor(db: Db, policy: IdentityPolicy, pending: Pending, code: string, address: string, now: Date, requestId: string):
Promise<{ ok: true; token: string; recoveryCode: boolean } | Refused> {
  const checked: CodeResult = await checkCode(db, policy, pending.accountId, code, now)
  if (!checked.ok) return checked
  const token = await db.transaction(async (tx) => {
    await endSession(tx, pending.tokenHash)
    return finishSignIn(tx, pending.accountId, address, now, requestId, { secondFactor: checked.recoveryCode ? 'recovery-code' : 'totp' })
  })
  return { ok: true, token, recoveryCode: checked.recoveryCode }
}

/** Setting up two-factor when the role requires it: the first code confirms it and finishes the sign-in. */
export async function completeEnrolment(db: Db, policy: IdentityPolicy, pending: Pending, code: string, address: string, now: Date, requestId: string):
Promise<{ ok: true; token: string; recoveryCodes: string[] } | Refused> {
  const confirmed = await confirmEnrolment(db, policy, { principal: { accountId: pending.accountId }, requestId }, pending.accountId, code, now)
  if (!confirmed.ok) return confirmed
  const token = await db.transaction(async (tx) => {
    await endSession(tx, pending.tokenHash)
    return finishSignIn(tx, pending.accountId, address, now, requestId, { secondFactor: 'totp' })
  })
  return { ok: true, token, recoveryCodes: confirmed.recoveryCodes }
}
