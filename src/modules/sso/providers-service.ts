import { and, eq, ne, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { recordAudit } from '../../db/audit.ts'
import { accountIdentities, identityProviders, organizations, ssoSignIns } from '../../db/schema/index.ts'
import { ERRORS, problem } from '../../errors.ts'
import { checkIfMatch, etagOf } from '../../lib/etag.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import type { SecretsKey } from '../../lib/secrets-key.ts'
import { managesIdentityProviders } from '../access/policy.ts'
import { CALLBACK_PATH, discover, DiscoveryError, type OidcOptions } from './oidc.ts'
import type { PutIdentityProvider } from './sso-schemas.ts'

/**
 * An organization's identity provider, set by admins only (every other role: 403, as the route's
 * role check says too). A new or changed issuer is checked by discovery before anything is saved; the client secret is sealed
 * with the secrets key, audited only as "changed", and never returned.
 */
const OBJECT = 'identity_provider'
export type ProviderRow = typeof identityProviders.$inferSelect

export interface ProviderDeps { secrets: () => SecretsKey; oidc: OidcOptions; publicBaseUrl: string }

export const startPath = (providerId: string) => `/sign-in/sso/${providerId}`

export function providerDto(row: ProviderRow, publicBaseUrl: string) {
  return {
    id: row.id, organizationId: row.organizationId, displayName: row.displayName, issuer: row.issuer, clientId: row.clientId,
    emailDomains: row.emailDomains, requireSso: row.requireSso,
    redirectUri: `${publicBaseUrl}${CALLBACK_PATH}`, startUrl: `${publicBaseUrl}${startPath(row.id)}`,
    createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString()
  }
}

function allowed(ctx: RequestContext): void {
  if (!managesIdentityProviders(ctx.principal)) throw problem('role-not-allowed', 'Only admins manage identity providers.')
}

async function organizationOf(db: Db, id: string): Promise<void> {
  const [row] = await db.select({ id: organizations.id }).from(organizations).where(eq(organizations.id, id))
  if (!row) throw ERRORS.notFound('organization', id)
}

export async function getProvider(db: Db, ctx: RequestContext, organizationId: string): Promise<ProviderRow> {
  allowed(ctx)
  await organizationOf(db, organizationId)
  const [row] = await db.select().from(identityProviders).where(eq(identityProviders.organizationId, organizationId))
  if (!row) throw problem('not-found', `Organization ${organizationId} has no identity provider.`)
  return row
}

export async function putProvider(db: Db, deps: ProviderDeps, ctx: RequestContext, organizationId: string, body: PutIdentityProvider, ifMatch: string | undefined):
Promise<{ row: ProviderRow; created: boolean }> {
  allowed(ctx)
  await organizationOf(db, organizationId)
  const domains = [...new Set(body.emailDomains.map((d) => d.toLowerCase()))]
  const [current] = await db.select().from(identityProviders).where(eq(identityProviders.organizationId, organizationId))
  if (current && ifMatch !== undefined && ifMatch.trim() !== '') checkIfMatch(ifMatch, etagOf(current.id, current.revision))
  // Kept exactly as given: the ID token's iss must equal it byte for byte.
  const issuer = body.issuer ?? current?.issuer
  const missing = [issuer === undefined ? '/issuer' : '', body.clientSecret === undefined && !current ? '/clientSecret' : ''].filter(Boolean)
  if (missing.length > 0 || issuer === undefined) {
    throw ERRORS.validation(missing.map((pointer) => ({ pointer, detail: 'required when the organization has no identity provider yet' })))
  }
  if (!deps.oidc.allowInsecureIssuers && !issuer.startsWith('https://')) {
    throw problem('issuer-not-https', 'The issuer must be an https URL.', { errors: [{ pointer: '/issuer', detail: 'not https' }] })
  }
  // Before the transaction, so a slow provider never holds a database connection; only a new issuer.
  if (issuer !== current?.issuer) try {
    await discover(deps.oidc, { issuer, clientId: body.clientId, clientSecret: body.clientSecret ?? '' })
  } catch (err) {
    if (!(err instanceof DiscoveryError)) throw err
    throw err.reason === 'unreachable'
      ? problem('issuer-unreachable', `The discovery document of ${issuer} could not be fetched; check the issuer URL.`, { errors: [{ pointer: '/issuer', detail: 'unreachable' }] })
      : problem('issuer-not-oidc', `${issuer} did not answer with OpenID Provider metadata for that issuer; check the issuer URL.`, { errors: [{ pointer: '/issuer', detail: 'not an OpenID Connect issuer' }] })
  }
  return db.transaction(async (tx) => {
    const [locked] = await tx.select().from(identityProviders).where(eq(identityProviders.organizationId, organizationId)).for('update')
    if (locked && ifMatch !== undefined && ifMatch.trim() !== '') checkIfMatch(ifMatch, etagOf(locked.id, locked.revision))
    if (!locked && body.clientSecret === undefined) throw ERRORS.validation([{ pointer: '/clientSecret', detail: 'required when the organization has no identity provider yet' }])
    // Serializes writes that claim domains, so two organizations never claim one domain.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('identity_providers.email_domains'))`)
    const [taken] = await tx.select({ domains: identityProviders.emailDomains }).from(identityProviders)
      .where(and(ne(identityProviders.organizationId, organizationId), sql`${identityProviders.emailDomains} && ${sql.param(domains)}::text[]`))
    if (taken) {
      const clash = domains.find((d) => taken.domains.includes(d)) ?? domains[0]
      throw problem('email-domain-taken', `Another organization's identity provider already signs in ${clash}.`, {
        errors: [{ pointer: `/emailDomains/${Math.max(0, domains.indexOf(clash ?? ''))}`, detail: `${clash} is taken` }]
      })
    }
    const values = { displayName: body.displayName, issuer, clientId: body.clientId, emailDomains: domains, requireSso: body.requireSso ?? false }
    const audited = { ...values, clientSecret: body.clientSecret === undefined ? 'unchanged' : 'set' }
    if (!locked) {
      const [row] = await tx.insert(identityProviders).values({ ...values, organizationId, clientSecret: deps.secrets().encrypt(body.clientSecret!) }).returning()
      await recordAudit(tx, ctx, { action: `${OBJECT}.create`, objectType: OBJECT, objectId: row!.id, changes: { organizationId, ...audited } })
      return { row: row!, created: true }
    }
    const [row] = await tx.update(identityProviders).set({
      ...values, ...(body.clientSecret !== undefined ? { clientSecret: deps.secrets().encrypt(body.clientSecret) } : {}),
      revision: locked.revision + 1, updatedAt: sql`now()`
    }).where(eq(identityProviders.id, locked.id)).returning()
    // A new issuer is another namespace of subjects: links to the old one no longer hold.
    if (locked.issuer !== issuer) await tx.delete(accountIdentities).where(eq(accountIdentities.providerId, locked.id))
    await recordAudit(tx, ctx, { action: `${OBJECT}.update`, objectType: OBJECT, objectId: locked.id, changes: { organizationId, ...audited } })
    return { row: row!, created: false }
  })
}

/** Removes the provider, its subject links and its sign-ins in flight; its people sign in with passwords again. */
export async function deleteProvider(db: Db, ctx: RequestContext, organizationId: string, ifMatch: string | undefined): Promise<void> {
  allowed(ctx)
  await organizationOf(db, organizationId)
  await db.transaction(async (tx) => {
    const [row] = await tx.select().from(identityProviders).where(eq(identityProviders.organizationId, organizationId)).for('update')
    if (!row) throw problem('not-found', `Organization ${organizationId} has no identity provider.`)
    if (ifMatch !== undefined && ifMatch.trim() !== '') checkIfMatch(ifMatch, etagOf(row.id, row.revision))
    await tx.delete(accountIdentities).where(eq(accountIdentities.providerId, row.id))
    await tx.delete(ssoSignIns).where(eq(ssoSignIns.providerId, row.id))
    await tx.delete(identityProviders).where(eq(identityProviders.id, row.id))
    await recordAudit(tx, ctx, { action: `${OBJECT}.delete`, objectType: OBJECT, objectId: row.id, changes: { organizationId, issuer: row.issuer } })
  })
}
