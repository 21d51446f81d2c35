import type { Role } from '../../lib/request-context.ts'
import type { SecretsKey } from '../../lib/secrets-key.ts'
import type { OidcClients } from '../sso/oidc.ts'

/** What the identity services need from the configuration, injected once by the identity plugin. */
export interface IdentityPolicy {
  /** Read on first use, so commands that never sign anyone in never create a key file. */
  secrets: () => SecretsKey
  /** Shown in authenticator apps next to the person's email. */
  issuerName: string
  /** Roles that must have a second factor before they get a session (always admins). */
  totpRequiredFor: readonly Role[]
  /** Single sign-on: the OpenID Connect options and the providers' discovered configurations (src/modules/sso). */
  oidc: OidcClients
  /** PUBLIC_BASE_URL: redirect URIs and start URLs are built on it. */
  publicBaseUrl: string
}

export const totpRequired = (policy: IdentityPolicy, role: string): boolean => (policy.totpRequiredFor as readonly string[]).includes(role)
