import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { contextOf } from '../../plugins/auth.ts'
import { ifMatchOf } from '../../lib/crud.ts'
import { groupVersionOf } from './groups-repository.ts'
import { createGroup, deleteGroup, getGroup, groupResourceOf, listGroupsPage, patchGroup, replaceGroup, type GroupWithMembers } from './groups-service.ts'
import { listResponse, project, type Projection } from './scim-list.ts'
import { ListQuery, PatchBody, ResourceBody, ResourceQuery, ScimIdParams, URN } from './scim-schemas.ts'

/** Whether a projection leaves members out, so they need not be read (Entra's `excludedAttributes=members`). */
const wantsMembers = (q: Projection) => {
  const names = (s: string | undefined) => (s ?? '').split(',').map((x) => x.trim().toLowerCase().replace(`${URN.group.toLowerCase()}:`, ''))
  if (q.attributes?.trim()) return names(q.attributes).some((n) => n === 'members' || n.startsWith('members.'))
  return !names(q.excludedAttributes).includes('members')
}

/** /scim/v2/Groups (RFC 7644 §3.3–3.7): thin; the rules are in groups-service.ts. */
const groupsRoutes: FastifyPluginAsyncTypebox<{ publicBaseUrl: string }> = async (app, { publicBaseUrl }) => {
  const tags = ['scim']
  const shown = (g: GroupWithMembers, q: Projection = {}) => project(groupResourceOf(g, publicBaseUrl), q, [], URN.group)

  app.get('/Groups', { schema: { hide: true, tags, operationId: 'scimListGroups', querystring: ListQuery } }, async (request) => {
    const { groups, total, startIndex } = await listGroupsPage(app.db, contextOf(request), request.query, { members: wantsMembers(request.query) })
    return listResponse(groups.map((g) => shown(g, request.query)), total, startIndex)
  })

  app.get('/Groups/:id', { schema: { hide: true, tags, operationId: 'scimGetGroup', params: ScimIdParams, querystring: ResourceQuery } }, async (request, reply) => {
    const g = await getGroup(app.db, contextOf(request), request.params.id, { members: wantsMembers(request.query) })
    const version = groupVersionOf(g.group)
    if (request.headers['if-none-match'] === version) return reply.code(304).header('etag', version).send()
    return reply.header('etag', version).send(shown(g, request.query))
  })

  app.post('/Groups', { schema: { hide: true, tags, operationId: 'scimCreateGroup', body: ResourceBody } }, async (request, reply) => {
    const g = await createGroup(app.db, contextOf(request), request.body)
    return reply.code(201).header('etag', groupVersionOf(g.group)).header('location', `${publicBaseUrl}/scim/v2/Groups/${g.group.id}`).send(shown(g))
  })

  app.put('/Groups/:id', { schema: { hide: true, tags, operationId: 'scimReplaceGroup', params: ScimIdParams, body: ResourceBody } }, async (request, reply) => {
    const g = await replaceGroup(app.db, contextOf(request), request.params.id, request.body, ifMatchOf(request))
    return reply.header('etag', groupVersionOf(g.group)).send(shown(g))
  })

  // RFC 7644 §3.5.2: 204 unless the client asks for attributes back (then 200 with them).
  app.patch('/Groups/:id', {
    schema: { hide: true, tags, operationId: 'scimPatchGroup', params: ScimIdParams, querystring: ResourceQuery, body: PatchBody }
  }, async (request, reply) => {
    const g = await patchGroup(app.db, contextOf(request), request.params.id, request.body.Operations, ifMatchOf(request), publicBaseUrl)
    void reply.header('etag', groupVersionOf(g.group))
    if (request.query.attributes?.trim() || request.query.excludedAttributes?.trim()) return reply.send(shown(g, request.query))
    return reply.code(204).send()
  })

  app.delete('/Groups/:id', { schema: { hide: true, tags, operationId: 'scimDeleteGroup', params: ScimIdParams } }, async (request, reply) => {
    await deleteGroup(app.db, contextOf(request), request.params.id, ifMatchOf(request))
    return reply.code(204).send()
  })
}

export default groupsRoutes
