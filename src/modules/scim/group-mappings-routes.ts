import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ifMatchOf } from '../../lib/crud.ts'
import { IfMatchHeaders } from '../../lib/crud-routes.ts'
import { IdParams } from '../../lib/schemas.ts'
import { contextOf } from '../../plugins/auth.ts'
import { GroupMappingBody, ScimGroupListQuery, ScimGroupPage, ScimGroupSchema } from './group-mappings-schemas.ts'
import { getMappedGroup, groupEtag, listMappedGroups, removeGroupMapping, setGroupMapping, toMappedGroupDto } from './group-mappings-service.ts'

const tags = ['integrations']
/** Integrators read their organization's groups; admins and coordinators map them (access: scimGroupMappingScope). */
const readers = ['admin', 'coordinator', 'integrator'] as const
const mappers = ['admin', 'coordinator'] as const

/** /v1/scim-groups: the SCIM groups an identity provider pushed, and what Rapport makes of membership. */
const groupMappingsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/scim-groups', {
    onRequest: app.requireRole(...readers),
    schema: { tags, operationId: 'listScimGroups', summary: 'List SCIM groups with their mappings, newest first', querystring: ScimGroupListQuery, response: { 200: ScimGroupPage } }
  }, async (request) => {
    const page = await listMappedGroups(app.db, contextOf(request), request.query)
    return { items: page.items.map(toMappedGroupDto), nextCursor: page.nextCursor }
  })

  app.get('/scim-groups/:id', {
    onRequest: app.requireRole(...readers),
    schema: { tags, operationId: 'getScimGroup', summary: 'Get a SCIM group, its member count and mapping', params: IdParams, response: { 200: ScimGroupSchema } }
  }, async (request, reply) => {
    const g = await getMappedGroup(app.db, contextOf(request), request.params.id)
    return reply.header('etag', groupEtag(g)).send(toMappedGroupDto(g))
  })

  app.put('/scim-groups/:id/mapping', {
    onRequest: app.requireRole(...mappers),
    schema: {
      tags, operationId: 'mapScimGroup', summary: 'Map a SCIM group to a role (admins) or a cohort; applies to its members at once',
      params: IdParams, headers: IfMatchHeaders, body: GroupMappingBody, response: { 200: ScimGroupSchema }
    }
  }, async (request, reply) => {
    const g = await setGroupMapping(app.db, contextOf(request), request.params.id, request.body, ifMatchOf(request))
    return reply.header('etag', groupEtag(g)).send(toMappedGroupDto(g))
  })

  app.delete('/scim-groups/:id/mapping', {
    onRequest: app.requireRole(...mappers),
    schema: {
      tags, operationId: 'unmapScimGroup', summary: 'Remove a SCIM group\'s mapping (nobody changes)', params: IdParams, headers: IfMatchHeaders,
      response: { 200: ScimGroupSchema }
    }
  }, async (request, reply) => {
    const g = await removeGroupMapping(app.db, contextOf(request), request.params.id, ifMatchOf(request))
    return reply.header('etag', groupEtag(g)).send(toMappedGroupDto(g))
  })
}

export default groupMappingsRoutes
