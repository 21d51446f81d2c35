import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { ERRORS, problem } from '../errors.ts'
import { hashApiKey } from '../modules/accounts/api-key.ts'
import { findPrincipalByKeyHash, touchApiKey, TOUCH_INTERVAL_MS } from '../modules/accounts/auth-repository.ts'
import type { Principal, RequestContext, Role } from '../lib/request-context.ts'

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null
  }
  interface FastifyInstance {
    /** onRequest hook: requires a valid API key. Registered on the /v1 scope. */
    authenticate: (request: FastifyRequest) => Promise<void>
    /** Route onRequest hook factory: the caller's role must be one of these. It runs before body
     * validation, so a role that may never do this gets 403, not a list of problems with its body. */
    requireRole: (...allowed: Role[]) => (request: FastifyRequest) => Promise<void>
  }
}

const BEARER = /^Bearer\s+(\S+)\s*$/i

/** The authenticated context of a request; routes pass it to services. */
export function contextOf(request: FastifyRequest): RequestContext {
  if (!request.principal) throw ERRORS.unauthorized()
  return { principal: request.principal, requestId: request.id, ...(request.server.eventsOff ? { eventsOff: true } : {}) }
}

export default fp(async function authPlugin(app: FastifyInstance) {
  app.decorateRequest('principal', null)

  app.decorate('authenticate', async (request: FastifyRequest) => {
    const header = request.headers.authorization
    const match = header ? BEARER.exec(header) : null
    if (!match?.[1]) throw ERRORS.unauthorized()
    const found = await findPrincipalByKeyHash(app.db, hashApiKey(match[1]))
    if (!found) throw ERRORS.unauthorized('The API key is not valid, or has been revoked.')
    if (found.expiresAt && found.expiresAt.getTime() <= Date.now()) {
      throw problem('api-key-expired', `The API key expired at ${found.expiresAt.toISOString()}; issue a new one.`)
    }
    if (found.readOnly && request.method !== 'GET' && request.method !== 'HEAD') {
      throw problem('api-key-read-only', 'This API key is read-only: only GET and HEAD requests are allowed with it.')
    }
    request.principal = found.principal
    const apiKeyId = found.principal.apiKeyId
    if (apiKeyId && (found.lastUsedAt === null || Date.now() - found.lastUsedAt.getTime() >= TOUCH_INTERVAL_MS)) {
      // Last-use tracking must never fail or slow the request it describes.
      touchApiKey(app.db, apiKeyId).catch((err: unknown) => request.log.warn({ err }, 'could not record API key use'))
    }
  })

  app.decorate('requireRole', (...allowed: Role[]) => async (request: FastifyRequest) => {
    const role = request.principal?.role
    if (!role) throw ERRORS.unauthorized()
    if (!allowed.includes(role)) throw problem('role-not-allowed', `This action needs one of the roles: ${allowed.join(', ')}.`)
  })
}, { name: 'auth', dependencies: ['db'] })
