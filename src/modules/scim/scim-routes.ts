import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { ERRORS, problem } from '../../errors.ts'
import { resourceTypes, schemas, serviceProviderConfig } from './discovery.ts'
import { scimErrorHandler, scimErrorOfProblem, sendScimError } from './scim-errors.ts'
import { listResponse } from './scim-list.ts'
import { SCIM_CONTENT_TYPE, ScimIdParams } from './scim-schemas.ts'
import groupsRoutes from './groups-routes.ts'
import usersRoutes from './users-routes.ts'

export interface ScimOptions { publicBaseUrl: string; bodyLimit: number }

/**
 * SCIM 2.0 (RFC 7644) at /scim/v2, outside /v1: its own media type and error document, and one
 * organization per integrator key. Rate limits (the global preParsing count, per key) and load
 * shedding (in front of every route) apply here as everywhere; the in-flight bound refuses at the
 * HTTP server, before any route is known, so that 503 alone stays problem+json.
 */
const scimRoutes: FastifyPluginAsyncTypebox<ScimOptions> = async (app, opts) => {
  const base = `${opts.publicBaseUrl}/scim/v2`
  app.setErrorHandler(scimErrorHandler(opts.bodyLimit))
  app.setNotFoundHandler((request, reply) => sendScimError(reply, ERRORS.routeNotFound(request.method, request.url)))
  // RFC 7644 §3.1 names application/scim+json; identity providers also send application/json.
  app.addContentTypeParser(['application/scim+json'], { parseAs: 'string' }, app.getDefaultJsonParser('error', 'ignore'))

  app.addHook('onRequest', async (request: FastifyRequest, reply) => {
    try {
      await app.authenticate(request)
    } catch (err) {
      // As under /v1: a request without a valid key spends its address's budget, so guessing keys is slowed.
      await app.countRequest(request, reply)
      throw err
    }
    if (request.principal?.role !== 'integrator') {
      throw problem('scim-integrator-key-required', 'SCIM provisions the people of one organization: use an integrator API key of that organization.')
    }
  })
  app.addHook('onSend', async (_request, reply, payload) => {
    const type = String(reply.getHeader('content-type') ?? '')
    if (type.startsWith('application/problem+json') && typeof payload === 'string') {
      const converted = scimErrorOfProblem(payload)
      if (converted) {
        void reply.header('content-type', SCIM_CONTENT_TYPE)
        return JSON.stringify(converted)
      }
    }
    if (type.startsWith('application/json')) void reply.header('content-type', SCIM_CONTENT_TYPE)
    return payload
  })

  const tags = ['scim']
  const documentationUri = `${opts.publicBaseUrl}/docs`
  app.get('/ServiceProviderConfig', { schema: { hide: true, tags, operationId: 'scimServiceProviderConfig' } },
    async () => serviceProviderConfig(base, documentationUri))
  // Both answer constants: built once, listed whole (no paging needed) or one by id.
  const collection = (path: string, what: string, operation: string, all: Array<{ id: string }>) => {
    app.get(path, { schema: { hide: true, tags, operationId: `scimList${operation}` } }, async () => listResponse(all, all.length, 1))
    app.get(`${path}/:id`, { schema: { hide: true, tags, operationId: `scimGet${operation.replace(/s$/, '')}`, params: ScimIdParams } }, async (request) => {
      const found = all.find((r) => r.id === request.params.id)
      if (!found) throw ERRORS.notFound(what, request.params.id)
      return found
    })
  }
  collection('/ResourceTypes', 'resource type', 'ResourceTypes', resourceTypes(base))
  collection('/Schemas', 'schema', 'Schemas', schemas(base))
  await app.register(usersRoutes, { publicBaseUrl: opts.publicBaseUrl })
  await app.register(groupsRoutes, { publicBaseUrl: opts.publicBaseUrl })
}

export default scimRoutes
