import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { contextOf } from '../../plugins/auth.ts'
import { ifMatchOf } from '../../lib/crud.ts'
import { listResponse, project } from './scim-list.ts'
import { ListQuery, PatchBody, ResourceBody, ResourceQuery, ScimIdParams, URN } from './scim-schemas.ts'
import { USER_EXTENSIONS } from './user-mapping.ts'
import { createUser, deactivateUser, getUser, groupsOf, listUsersPage, patchUser, replaceUser, resourceOf, type UserGroups } from './users-service.ts'
import { versionOf, type UserRow } from './users-repository.ts'

/** /scim/v2/Users (RFC 7644 §3.3–3.7): thin; the rules are in users-service.ts. */
const usersRoutes: FastifyPluginAsyncTypebox<{ publicBaseUrl: string }> = async (app, { publicBaseUrl }) => {
  const tags = ['scim']
  const shown = (row: UserRow, groups: UserGroups, q: ResourceQuery = {}) => project(resourceOf(row, publicBaseUrl, groups), q, USER_EXTENSIONS, URN.user)

  app.get('/Users', { schema: { hide: true, tags, operationId: 'scimListUsers', querystring: ListQuery } }, async (request) => {
    const { rows, total, startIndex } = await listUsersPage(app.db, contextOf(request), request.query)
    const groups = await groupsOf(app.db, rows)
    return listResponse(rows.map((row) => shown(row, groups, request.query)), total, startIndex)
  })

  app.get('/Users/:id', { schema: { hide: true, tags, operationId: 'scimGetUser', params: ScimIdParams, querystring: ResourceQuery } }, async (request, reply) => {
    const row = await getUser(app.db, contextOf(request), request.params.id)
    const version = versionOf(row)
    // RFC 7644 §3.14: a client holding the current version need not download it again.
    if (request.headers['if-none-match'] === version) return reply.code(304).header('etag', version).send()
    return reply.header('etag', version).send(shown(row, await groupsOf(app.db, [row]), request.query))
  })

  app.post('/Users', { schema: { hide: true, tags, operationId: 'scimCreateUser', body: ResourceBody } }, async (request, reply) => {
    const row = await createUser(app.db, contextOf(request), request.body)
    const resource = resourceOf(row, publicBaseUrl)
    return reply.code(201).header('etag', versionOf(row)).header('location', (resource.meta as { location: string }).location).send(resource)
  })

  app.put('/Users/:id', { schema: { hide: true, tags, operationId: 'scimReplaceUser', params: ScimIdParams, body: ResourceBody } }, async (request, reply) => {
    const row = await replaceUser(app.db, contextOf(request), request.params.id, request.body, ifMatchOf(request))
    return reply.header('etag', versionOf(row)).send(resourceOf(row, publicBaseUrl, await groupsOf(app.db, [row])))
  })

  app.patch('/Users/:id', { schema: { hide: true, tags, operationId: 'scimPatchUser', params: ScimIdParams, body: PatchBody } }, async (request, reply) => {
    const row = await patchUser(app.db, contextOf(request), request.params.id, request.body.Operations, ifMatchOf(request), publicBaseUrl)
    return reply.header('etag', versionOf(row)).send(resourceOf(row, publicBaseUrl, await groupsOf(app.db, [row])))
  })

  app.delete('/Users/:id', { schema: { hide: true, tags, operationId: 'scimDeleteUser', params: ScimIdParams } }, async (request, reply) => {
    await deactivateUser(app.db, contextOf(request), request.params.id, ifMatchOf(request))
    return reply.code(204).send()
  })
}

export default usersRoutes
