import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { IfMatchHeaders } from '../../lib/crud-routes.ts'
import { ifMatchOf } from '../../lib/crud.ts'
import { etagOf } from '../../lib/etag.ts'
import { contextOf } from '../../plugins/auth.ts'
import { deleteProvider, getProvider, providerDto, putProvider, type ProviderDeps } from './providers-service.ts'
import { IdentityProviderSchema, OrganizationParams, PutIdentityProviderBody } from './sso-schemas.ts'

const tags = ['organizations']

/** An organization's OpenID Connect identity provider (single sign-on for the web pages). Admins only. */
const ssoRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const deps = (): ProviderDeps => ({ secrets: app.identity.secrets, oidc: app.identity.oidc.options, publicBaseUrl: app.identity.publicBaseUrl })

  app.put('/organizations/:id/identity-provider', {
    onRequest: app.requireRole('admin'),
    schema: {
      tags, operationId: 'putIdentityProvider', summary: 'Set the organization\'s identity provider (admins); the issuer is checked by discovery first',
      params: OrganizationParams, headers: IfMatchHeaders, body: PutIdentityProviderBody,
      response: { 200: IdentityProviderSchema, 201: IdentityProviderSchema }
    }
  }, async (request, reply) => {
    const { row, created } = await putProvider(app.db, deps(), contextOf(request), request.params.id, request.body, ifMatchOf(request))
    return reply.code(created ? 201 : 200).header('etag', etagOf(row.id, row.revision)).send(providerDto(row, app.identity.publicBaseUrl))
  })

  app.get('/organizations/:id/identity-provider', {
    onRequest: app.requireRole('admin'),
    schema: { tags, operationId: 'getIdentityProvider', summary: 'Get the organization\'s identity provider (admins; never the client secret)', params: OrganizationParams, response: { 200: IdentityProviderSchema } }
  }, async (request, reply) => {
    const row = await getProvider(app.db, contextOf(request), request.params.id)
    return reply.header('etag', etagOf(row.id, row.revision)).send(providerDto(row, app.identity.publicBaseUrl))
  })

  app.delete('/organizations/:id/identity-provider', {
    onRequest: app.requireRole('admin'),
    schema: {
      tags, operationId: 'deleteIdentityProvider', summary: 'Remove the organization\'s identity provider (admins); its people sign in with passwords again',
      params: OrganizationParams, headers: IfMatchHeaders, response: { 204: Type.Null({ description: 'Removed.' }) }
    }
  }, async (request, reply) => {
    await deleteProvider(app.db, contextOf(request), request.params.id, ifMatchOf(request))
    return reply.code(204).send(null)
  })
}

export default ssoRoutes
