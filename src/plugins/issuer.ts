import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.ts'
import type { Issuer } from '../modules/certificates/certificates-service.ts'
import { loadSigningKey, type SigningKey } from '../modules/certificates/signing-key.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** Who issues certificates: name, public address, and the credential signing key. */
    issuer: Issuer
  }
}

/**
 * The signing key is read (or, unconfigured, created in DATA_DIR) on first use, so commands that
 * build the app without issuing anything (the OpenAPI export) never touch it. The server asks for
 * it at start, to fail early on a bad key and to warn when none is configured.
 */
export default fp(async function issuerPlugin(app: FastifyInstance, config: Pick<Config, 'ISSUER_NAME' | 'PUBLIC_BASE_URL' | 'CREDENTIAL_SIGNING_KEY' | 'DATA_DIR'>) {
  let key: SigningKey | undefined
  app.decorate('issuer', {
    name: config.ISSUER_NAME,
    baseUrl: config.PUBLIC_BASE_URL.replace(/\/$/, ''),
    key: () => (key ??= loadSigningKey(config))
  })
}, { name: 'issuer' })
