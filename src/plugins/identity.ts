import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.ts'
import { loadSecretsKey, type SecretsKey } from '../lib/secrets-key.ts'
import type { IdentityPolicy } from '../modules/identity/policy.ts'
import { CALLBACK_PATH, oidcClients } from '../modules/sso/oidc.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** Sign-in policy and the secrets key, for the identity services (web pages and API alike). */
    identity: IdentityPolicy
  }
}

/**
 * Two-factor sign-in is required for admins, and for coordinators when
 * REQUIRE_TOTP_FOR_COORDINATORS is set. The secrets key is read (or, unconfigured, created in
 * DATA_DIR) on first use; the server asks for it at start, to fail early and to warn.
 */
export default fp(async function identityPlugin(app: FastifyInstance, config: Pick<Config, 'SECRETS_KEY' | 'DATA_DIR' | 'ISSUER_NAME' | 'REQUIRE_TOTP_FOR_COORDINATORS' | 'PUBLIC_BASE_URL' | 'OIDC_ALLOW_INSECURE_ISSUERS' | 'OIDC_CLOCK_TOLERANCE_SECONDS'>) {
  let key: SecretsKey | undefined
  app.decorate('identity', {
    secrets: () => (key ??= loadSecretsKey(config)),
    issuerName: config.ISSUER_NAME,
    totpRequiredFor: config.REQUIRE_TOTP_FOR_COORDINATORS ? ['admin', 'coordinator'] : ['admin'],
    oidc: oidcClients({
      allowInsecureIssuers: config.OIDC_ALLOW_INSECURE_ISSUERS, clockToleranceSeconds: config.OIDC_CLOCK_TOLERANCE_SECONDS,
      redirectUri: `${config.PUBLIC_BASE_URL.replace(/\/+$/, '')}${CALLBACK_PATH}`
    }),
    publicBaseUrl: config.PUBLIC_BASE_URL.replace(/\/+$/, '')
  })
}, { name: 'identity' })
