import { randomInt } from 'node:crypto'
import { and, count, eq, isNotNull, isNull, lt, or, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { recordAudit, type AuditActor } from '../../db/audit.ts'
import { accountRecoveryCodes, accountTotp, accounts } from '../../db/schema/index.ts'
import type { IdentityPolicy } from './policy.ts'
import { clearAttempts, countAttempt, RULES, secondFactorKey } from './throttle.ts'
import { acceptedStep, newTotpSecret, normalizeCode, qrDataUrl, totpUri } from './totp.ts'

/**
 * Two-factor sign-in: a TOTP secret (stored encrypted with the secrets key) confirmed by a first
 * code, and ten one-time recovery codes (stored as keyed hashes) shown once, for a lost phone.
 * Every code check is throttled per account like a password.
 */
export const RECOVERY_CODES = 10
/** No 0/o or 1/l/i: read off paper, typed by hand. 10 characters of 31 give about 50 bits. */
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'

export type CodeResult = { ok: true; recoveryCode: boolean } | { ok: false; reason: 'wrong' } | { ok: false; reason: 'wait'; seconds: number }

const newRecoveryCode = () => {
  const chars = Array.from({ length: 10 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('')
  return `${chars.slice(0, 5)}-${chars.slice(5)}`
}
const recoveryHash = (policy: IdentityPolicy, accountId: string, code: string) =>
  policy.secrets().digest(`recovery:${accountId}:${normalizeCode(code).toLowerCase()}`)

export async function twoFactorStatus(db: Db, accountId: string): Promise<{ enabled: boolean; recoveryCodesLeft: number }> {
  const [totp] = await db.select({ enabledAt: accountTotp.enabledAt }).from(accountTotp).where(eq(accountTotp.accountId, accountId))
  const [left] = await db.select({ n: count() }).from(accountRecoveryCodes).where(and(eq(accountRecoveryCodes.accountId, accountId), isNull(accountRecoveryCodes.usedAt)))
  return { enabled: Boolean(totp?.enabledAt), recoveryCodesLeft: left?.n ?? 0 }
}

/**
 * The secret to set up, with its QR code: a new one, or the one waiting for its first code (so
 * reloading the page shows the same). Undefined when two-factor is already on.
 */
export async function startEnrolment(db: Db, policy: IdentityPolicy, accountId: string) {
  const [account] = await db.select({ id: accounts.id, email: accounts.email, name: accounts.name }).from(accounts).where(eq(accounts.id, accountId))
  const [existing] = await db.select().from(accountTotp).where(eq(accountTotp.accountId, accountId))
  if (!account || existing?.enabledAt) return undefined
  let sealed = existing?.secret
  if (!sealed) {
    await db.insert(accountTotp).values({ accountId: account.id, secret: policy.secrets().encrypt(newTotpSecret()) }).onConflictDoNothing()
    // Read back: of two pages opened at once, both show the secret that was kept.
    sealed = (await db.select({ secret: accountTotp.secret }).from(accountTotp).where(eq(accountTotp.accountId, account.id)))[0]!.secret
  }
  const secret = policy.secrets().decrypt(sealed)
  const uri = totpUri(secret, { issuer: policy.issuerName, label: account.email ?? account.name })
  return { secret, uri, qr: await qrDataUrl(uri) }
}

/** The first code confirms the secret: two-factor is on, and the recovery codes are made (shown once). */
export async function confirmEnrolment(db: Db, policy: IdentityPolicy, actor: AuditActor, accountId: string, code: string, now: Date):
Promise<{ ok: true; recoveryCodes: string[] } | Exclude<CodeResult, { ok: true }>> {
  const wait = await countAttempt(db, secondFactorKey(accountId), RULES.secondFactor, now)
  if (wait > 0) return { ok: false, reason: 'wait', seconds: wait }
  return db.transaction(async (tx) => {
    const [pending] = await tx.select().from(accountTotp).where(and(eq(accountTotp.accountId, accountId), isNull(accountTotp.enabledAt))).for('update')
    const step = pending && acceptedStep(policy.secrets().decrypt(pending.secret), code, now, null)
    if (!pending || step === null || step === undefined) return { ok: false as const, reason: 'wrong' as const }
    await tx.update(accountTotp).set({ enabledAt: now, lastUsedStep: step }).where(eq(accountTotp.accountId, accountId))
    const recoveryCodes = await replaceRecoveryCodes(tx, policy, accountId)
    await clearAttempts(tx, secondFactorKey(accountId))
    await recordAudit(tx, actor, { action: 'account.two_factor_enable', objectType: 'account', objectId: accountId })
    return { ok: true as const, recoveryCodes }
  })
}

async function replaceRecoveryCodes(tx: Db, policy: IdentityPolicy, accountId: string): Promise<string[]> {
  await tx.delete(accountRecoveryCodes).where(eq(accountRecoveryCodes.accountId, accountId))
  const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode)
  await tx.insert(accountRecoveryCodes).values(codes.map((code) => ({ accountId, codeHash: recoveryHash(policy, accountId, code) })))
  return codes
}

/** A fresh set of recovery codes (the old ones stop working), for a person with two-factor on. */
export async function renewRecoveryCodes(db: Db, policy: IdentityPolicy, actor: AuditActor, accountId: string): Promise<string[] | undefined> {
  return db.transaction(async (tx) => {
    const [on] = await tx.select().from(accountTotp).where(and(eq(accountTotp.accountId, accountId), isNotNull(accountTotp.enabledAt))).for('update')
    if (!on) return undefined
    const codes = await replaceRecoveryCodes(tx, policy, accountId)
    await recordAudit(tx, actor, { action: 'account.recovery_codes_renew', objectType: 'account', objectId: accountId })
    return codes
  })
}

/**
 * Checks a sign-in code: six digits against the TOTP secret, anything else as a recovery code.
 * Each is used up in the statement that accepts it (a TOTP step moves `last_used_step` forward; a
 * recovery code gets `used_at`), so the same code never works twice, even in parallel.
 */
export async function checkCode(db: Db, policy: IdentityPolicy, accountId: string, code: string, now: Date): Promise<CodeResult> {
  const result = await useCode(db, policy, accountId, code, now)
  if (result.ok) await clearAttempts(db, secondFactorKey(accountId))
  return result
}

async function useCode(db: Db, policy: IdentityPolicy, accountId: string, code: string, now: Date): Promise<CodeResult> {
  const wait = await countAttempt(db, secondFactorKey(accountId), RULES.secondFactor, now)
  if (wait > 0) return { ok: false, reason: 'wait', seconds: wait }
  const typed = normalizeCode(code)
  if (/^\d{6}$/.test(typed)) {
    const [totp] = await db.select().from(accountTotp).where(and(eq(accountTotp.accountId, accountId), isNotNull(accountTotp.enabledAt)))
    const step = totp && acceptedStep(policy.secrets().decrypt(totp.secret), typed, now, totp.lastUsedStep)
    if (!totp || step === null || step === undefined) return { ok: false, reason: 'wrong' }
    const used = await db.update(accountTotp).set({ lastUsedStep: step })
      .where(and(eq(accountTotp.accountId, accountId), or(isNull(accountTotp.lastUsedStep), lt(accountTotp.lastUsedStep, step))))
      .returning({ step: accountTotp.lastUsedStep })
    return used.length === 1 ? { ok: true, recoveryCode: false } : { ok: false, reason: 'wrong' }
  }
  const used = await db.update(accountRecoveryCodes).set({ usedAt: now })
    .where(and(eq(accountRecoveryCodes.accountId, accountId), eq(accountRecoveryCodes.codeHash, recoveryHash(policy, accountId, typed)), isNull(accountRecoveryCodes.usedAt)))
    .returning({ usedAt: accountRecoveryCodes.usedAt })
  return used.length === 1 ? { ok: true, recoveryCode: true } : { ok: false, reason: 'wrong' }
}

export async function hasTwoFactor(db: Db, accountId: string): Promise<boolean> {
  const [row] = await db.select({ on: sql<boolean>`true` }).from(accountTotp).where(and(eq(accountTotp.accountId, accountId), isNotNull(accountTotp.enabledAt)))
  return Boolean(row)
}

/** Turns two-factor off (the secret and the recovery codes are deleted). True when it was on. */
export async function removeTwoFactor(db: Db, actor: AuditActor, accountId: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const removed = await tx.delete(accountTotp).where(eq(accountTotp.accountId, accountId)).returning({ enabledAt: accountTotp.enabledAt })
    await tx.delete(accountRecoveryCodes).where(eq(accountRecoveryCodes.accountId, accountId))
    const wasOn = removed.some((r) => r.enabledAt !== null)
    if (wasOn) await recordAudit(tx, actor, { action: 'account.two_factor_remove', objectType: 'account', objectId: accountId })
    return wasOn
  })
}
