import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ifMatchOf, toDto, withEtag } from '../../lib/crud.ts'
import { activationRoutes, IfMatchHeaders } from '../../lib/crud-routes.ts'
import { IdParams } from '../../lib/schemas.ts'
import { contextOf } from '../../plugins/auth.ts'
import {
  CreateOrganizationBody, OrganizationListQuery, OrganizationPage, OrganizationSchema, UpdateOrganizationBody
} from './organizations-schemas.ts'
import {
  createOrganization, getOrganization, listOrganizations, setOrganizationActive, updateOrganization
} from './organizations-service.ts'

const tags = ['organizations']

/** Employer sites. Everyone reads the ones in their scope; only admins change them. */
const organizationsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/organizations', {
    onRequest: app.requireRole('admin'),
    schema: { tags, operationId: 'createOrganization', summary: 'Create an organization', body: CreateOrganizationBody, response: { 201: OrganizationSchema } }
  }, async (request, reply) => {
    const row = await createOrganization(app.db, contextOf(request), request.body)
    return reply.code(201).header('location', `/v1/organizations/${row.id}`).send(withEtag(reply, row))
  })

  app.get('/organizations', {
    schema: { tags, operationId: 'listOrganizations', summary: 'List organizations, newest first', querystring: OrganizationListQuery, response: { 200: OrganizationPage } }
  }, async (request) => {
    const page = await listOrganizations(app.db, contextOf(request), request.query)
    return { items: page.items.map(toDto), nextCursor: page.nextCursor }
  })

  app.get('/organizations/:id', {
    schema: { tags, operationId: 'getOrganization', summary: 'Get an organization', params: IdParams, response: { 200: OrganizationSchema } }
  }, async (request, reply) => withEtag(reply, await getOrganization(app.db, contextOf(request), request.params.id)))

  // The coordinators of a programme that serves the organization keep its name right; creating and
  // retiring employers stays an admin's call.
  app.patch('/organizations/:id', {
    onRequest: app.requireRole('admin', 'coordinator'),
    schema: {
      tags, operationId: 'updateOrganization', summary: 'Change an organization (admins; coordinators of a programme serving it)', params: IdParams, headers: IfMatchHeaders,
      body: UpdateOrganizationBody, response: { 200: OrganizationSchema }
    }
  }, async (request, reply) =>
    withEtag(reply, await updateOrganization(app.db, contextOf(request), request.params.id, request.body, ifMatchOf(request))))

  activationRoutes(app, {
    path: '/organizations', tag: 'organizations', name: 'Organization', response: OrganizationSchema, roles: ['admin'],
    setActive: (ctx, id, active, ifMatch) => setOrganizationActive(app.db, ctx, id, active, ifMatch)
  })
}

export default organizationsRoutes
