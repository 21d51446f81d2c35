import { and, eq, gt, isNull, lt, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { recordAudit } from '../../db/audit.ts'
import { accountIdentities, accounts, identityProviders, ssoSignIns } from '../../db/schema/index.ts'
import type { IdentityPolicy } from '../identity/policy.ts'
import { accountUsable, tokenHash } from '../identity/sessions.ts'
import { finishSignIn } from '../identity/sign-in-service.ts'
import { addressKey, clientAddress, countAttempt, refundAttempt, RULES } from '../identity/throttle.ts'
import { authorizationRequest, completeCallback, type OidcFailure } from './oidc.ts'
import type { ProviderRow } from './providers-service.ts'
import { accountOrganization } from './sso-required.ts'

/**
 * Signing in through an organization's identity provider. The sign-in waiting for the provider's
 * answer lives in the database (state hashed, PKCE verifier, nonce), is used once by one atomic
 * update and lasts PENDING_MINUTES, so a replayed, unknown or expired state is refused by every
 * instance. The person is matched by the subject linked before, else by a verified email of an
 * allowed domain belonging to an active trainee or supervisor of the provider's organization (the
 * subject is then linked). Rapport's own second factor is not asked: the provider's MFA applies.
 */
const PENDING_MINUTES = 10

export type SsoRefusal = OidcFailure | 'state-unknown' | 'state-replayed' | 'state-expired' | 'state-other-browser' | 'email-unverified' | 'email-domain-not-allowed' | 'unknown-email' | 'account-inactive'
export type SsoResult = { ok: true; token: string; returnPath: string } | { ok: false; reason: SsoRefusal } | { ok: false; reason: 'wait'; seconds: number }

export const domainOf = (email: string) => email.trim().toLowerCase().split('@').pop() ?? ''

export async function providerById(db: Db, id: string): Promise<ProviderRow | undefined> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return undefined
  const [row] = await db.select().from(identityProviders).where(eq(identityProviders.id, id))
  return row
}

/** The provider whose allowed domains include the email's. */
export async function providerForEmail(db: Db, email: string): Promise<ProviderRow | undefined> {
  const domain = domainOf(email)
  if (!email.includes('@') || !domain) return undefined
  const [row] = await db.select().from(identityProviders).where(sql`${domain} = any(${identityProviders.emailDomains})`)
  return row
}

const clientOf = (policy: IdentityPolicy, p: ProviderRow) =>
  policy.oidc.configFor({ id: p.id, revision: p.revision, issuer: p.issuer, clientId: p.clientId, clientSecret: policy.secrets().decrypt(p.clientSecret) })

/** The provider's authorization URL for a new sign-in; undefined when the provider cannot be reached. */
export async function beginSignIn(db: Db, policy: IdentityPolicy, provider: ProviderRow, returnPath: string, loginHint: string | undefined, now: Date,
  keepState: (state: string) => void): Promise<string | undefined> {
  let config
  try {
    config = await clientOf(policy, provider)
  } catch {
    return undefined
  }
  const started = await authorizationRequest(config, policy.oidc.options, loginHint)
  // Swept as new ones start (by the expiry index); kept a day past expiry, so a late replay still reads as one.
  await db.delete(ssoSignIns).where(lt(ssoSignIns.expiresAt, new Date(now.getTime() - 86_400_000)))
  await db.insert(ssoSignIns).values({
    stateHash: tokenHash(started.state), providerId: provider.id, codeVerifier: started.codeVerifier, nonce: started.nonce,
    returnPath, createdAt: now, expiresAt: new Date(now.getTime() + PENDING_MINUTES * 60_000)
  })
  keepState(started.state)
  return started.url
}

/** Takes the waiting sign-in (once); why not, when it cannot be taken. */
async function takePending(db: Db, state: string, now: Date) {
  const hash = tokenHash(state)
  const [taken] = await db.update(ssoSignIns).set({ usedAt: now })
    .where(and(eq(ssoSignIns.stateHash, hash), isNull(ssoSignIns.usedAt), gt(ssoSignIns.expiresAt, now))).returning()
  if (taken) return { ok: true as const, pending: taken }
  const [seen] = await db.select({ usedAt: ssoSignIns.usedAt, providerId: ssoSignIns.providerId }).from(ssoSignIns).where(eq(ssoSignIns.stateHash, hash))
  const reason: SsoRefusal = !seen ? 'state-unknown' : seen.usedAt ? 'state-replayed' : 'state-expired'
  return { ok: false as const, reason, providerId: seen?.providerId }
}

async function refuse(db: Db, reason: SsoRefusal, providerId: string | undefined, requestId: string, details: Record<string, unknown> = {}): Promise<SsoResult> {
  // No actor: nobody is signed in; the request id travels in the changes.
  await recordAudit(db, null, {
    action: 'sign_in.sso_refused', objectType: 'identity_provider', objectId: providerId ?? 'unknown', changes: { reason, requestId, ...details }
  })
  return { ok: false, reason }
}

/** The callback: state, code and ID token checked, the person matched, a session started. */
/** `browserState` is the state kept in the browser that started the sign-in (a cookie). */
export async function completeSignIn(db: Db, policy: IdentityPolicy, currentUrl: URL, browserState: string | undefined, address: string, now: Date, requestId: string): Promise<SsoResult> {
  const fromAddress = await countAttempt(db, addressKey(clientAddress(address)), RULES.address, now)
  if (fromAddress > 0) return { ok: false, reason: 'wait', seconds: fromAddress }
  const state = currentUrl.searchParams.get('state')
  if (!state || state.length > 200) return refuse(db, 'state-unknown', undefined, requestId)
  const took = await takePending(db, state, now)
  if (!took.ok) return refuse(db, took.reason, took.providerId, requestId)
  const { pending } = took
  // Taken (so spent) before this check: a callback forced on someone else's browser burns the sign-in.
  if (browserState !== state) return refuse(db, 'state-other-browser', pending.providerId, requestId)
  const provider = await providerById(db, pending.providerId)
  if (!provider) return refuse(db, 'state-unknown', undefined, requestId)
  let config
  try {
    config = await clientOf(policy, provider)
  } catch {
    return refuse(db, 'provider-unreachable', provider.id, requestId)
  }
  const answer = await completeCallback(config, currentUrl, { state, codeVerifier: pending.codeVerifier, nonce: pending.nonce })
  if (!answer.ok) return refuse(db, answer.reason, provider.id, requestId, { detail: answer.detail.slice(0, 300) })
  const { identity } = answer

  const [linked] = await db.select({ accountId: accountIdentities.accountId, usable: sql<boolean>`${accountUsable}` }).from(accountIdentities)
    .innerJoin(accounts, eq(accounts.id, accountIdentities.accountId))
    .where(and(eq(accountIdentities.issuer, provider.issuer), eq(accountIdentities.subject, identity.subject)))
  let accountId: string
  if (linked) {
    if (!linked.usable) return refuse(db, 'account-inactive', provider.id, requestId, { subject: identity.subject, accountId: linked.accountId })
    accountId = linked.accountId
  } else {
    const email = identity.email?.trim().toLowerCase()
    if (!email) return refuse(db, 'unknown-email', provider.id, requestId, { subject: identity.subject })
    if (!identity.emailVerified) return refuse(db, 'email-unverified', provider.id, requestId, { subject: identity.subject, email })
    if (!provider.emailDomains.includes(domainOf(email))) return refuse(db, 'email-domain-not-allowed', provider.id, requestId, { subject: identity.subject, email })
    const [account] = await db.select({ id: accounts.id, usable: sql<boolean>`${accountUsable}` }).from(accounts)
      .where(and(sql`lower(${accounts.email}) = ${email}`, sql`${accountOrganization} = ${provider.organizationId}`))
    if (!account) return refuse(db, 'unknown-email', provider.id, requestId, { subject: identity.subject, email })
    if (!account.usable) return refuse(db, 'account-inactive', provider.id, requestId, { subject: identity.subject, accountId: account.id })
    accountId = account.id
  }
  const token = await db.transaction(async (tx) => {
    await tx.insert(accountIdentities).values({ providerId: provider.id, accountId, issuer: provider.issuer, subject: identity.subject, lastSignInAt: now })
      .onConflictDoUpdate({ target: [accountIdentities.issuer, accountIdentities.subject], set: { lastSignInAt: now } })
    return finishSignIn(tx, accountId, address, now, requestId, { method: 'sso', providerId: provider.id, linked: linked === undefined ? 'by-email' : 'by-subject' })
  })
  await refundAttempt(db, addressKey(clientAddress(address)), RULES.address)
  return { ok: true, token, returnPath: pending.returnPath }
}
