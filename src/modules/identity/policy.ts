import type { Role } from '../../lib/request-context.ts'
import type { SecretsKey } from '../../lib/secrets-key.ts'

/** What the identity services need from the configuration, injected once by the identity plugin. */
export interface IdentityPolicy {
  /** Read on first use, so commands that never sign anyone in never create a key file. */
  secrets: () => SecretsKey
  /** Shown in authenticator apps next to the person's email. */
  issuerName: string
  /** Roles that must have a second factor before they get a session (always admins). */
  totpRequiredFor: readonly Role[]
}

export const totpRequired = (policy: IdentityPolicy, role: string): boolean => (policy.totpRequiredFor as readonly string[]).includes(role)
