import { boolean, index, integer, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { accounts } from './accounts.ts'
import { at, createdAt, id, updatedAt } from './columns.ts'
import { organizations } from './structure.ts'

/**
 * An organization's OpenID Connect identity provider (one at most). The client secret is sealed
 * with the secrets key and never leaves the service; `email_domains` are the work-email domains
 * whose people it signs in (lower case).
 */
export const identityProviders = pgTable('identity_providers', {
  id: id(),
  organizationId: uuid('organization_id').notNull().references(() => organizations.id),
  displayName: text('display_name').notNull(),
  issuer: text('issuer').notNull(),
  clientId: text('client_id').notNull(),
  clientSecret: text('client_secret').notNull(),
  emailDomains: text('email_domains').array().notNull(),
  requireSso: boolean('require_sso').notNull().default(false),
  revision: integer('revision').notNull().default(1),
  createdAt: createdAt(),
  updatedAt: updatedAt()
}, (t) => [uniqueIndex('identity_providers_organization_unique').on(t.organizationId)])

/** A person's account at an identity provider: its `sub` claim, unique per issuer (OIDC Core 5.7). */
export const accountIdentities = pgTable('account_identities', {
  id: id(),
  providerId: uuid('provider_id').notNull().references(() => identityProviders.id),
  accountId: uuid('account_id').notNull().references(() => accounts.id),
  issuer: text('issuer').notNull(),
  subject: text('subject').notNull(),
  createdAt: createdAt(),
  lastSignInAt: at('last_sign_in_at')
}, (t) => [
  uniqueIndex('account_identities_issuer_subject').on(t.issuer, t.subject),
  index('account_identities_account_idx').on(t.accountId)
])

/**
 * A sign-in sent to an identity provider and not yet back: the state (stored hashed) names it,
 * the PKCE verifier and nonce check what comes back. Used once (`used_at`), then refused, on every
 * instance of the service.
 */
export const ssoSignIns = pgTable('sso_sign_ins', {
  stateHash: text('state_hash').primaryKey(),
  providerId: uuid('provider_id').notNull().references(() => identityProviders.id),
  codeVerifier: text('code_verifier').notNull(),
  nonce: text('nonce').notNull(),
  returnPath: text('return_path').notNull(),
  createdAt: createdAt(),
  expiresAt: at('expires_at').notNull(),
  usedAt: at('used_at')
}, (t) => [index('sso_sign_ins_expires_idx').on(t.expiresAt)])

