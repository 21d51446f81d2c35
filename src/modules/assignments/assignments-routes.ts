import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ifMatchOf, toDto, withEtag } from '../../lib/crud.ts'
import { activationRoutes, IfMatchHeaders } from '../../lib/crud-routes.ts'
import { IdParams } from '../../lib/schemas.ts'
import { contextOf } from '../../plugins/auth.ts'
import { AssignmentListQuery, AssignmentPage, AssignmentSchema, CreateAssignmentBody, UpdateAssignmentBody } from './assignments-schemas.ts'
import { createAssignment, getAssignment, listAssignments, setAssignmentActive, updateAssignment } from './assignments-service.ts'

const tags = ['people']
const readers = ['admin', 'coordinator', 'supervisor', 'integrator'] as const
const writers = ['admin', 'coordinator'] as const

/** Which supervisor may observe which trainee, and when. Coordinators manage them for their programmes. */
const assignmentsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/assignments', {
    onRequest: app.requireRole(...writers),
    schema: {
      tags, operationId: 'createAssignment', summary: 'Assign a supervisor to a trainee',
      description: 'endsOn must be on or after startsOn (422). An overlapping active assignment of the same pair answers 409.',
      body: CreateAssignmentBody, response: { 201: AssignmentSchema }
    }
  }, async (request, reply) => {
    const row = await createAssignment(app.db, contextOf(request), request.body)
    return reply.code(201).header('location', `/v1/assignments/${row.id}`).send(withEtag(reply, row))
  })

  app.get('/assignments', {
    onRequest: app.requireRole(...readers),
    schema: {
      tags, operationId: 'listAssignments', summary: 'List the assignments you can see, newest first',
      querystring: AssignmentListQuery, response: { 200: AssignmentPage }
    }
  }, async (request) => {
    const page = await listAssignments(app.db, contextOf(request), request.query)
    return { items: page.items.map(toDto), nextCursor: page.nextCursor }
  })

  app.get('/assignments/:id', {
    onRequest: app.requireRole(...readers),
    schema: { tags, operationId: 'getAssignment', summary: 'Get an assignment', params: IdParams, response: { 200: AssignmentSchema } }
  }, async (request, reply) => withEtag(reply, await getAssignment(app.db, contextOf(request), request.params.id)))

  app.patch('/assignments/:id', {
    onRequest: app.requireRole(...writers),
    schema: {
      tags, operationId: 'updateAssignment', summary: 'Change an assignment\'s dates', params: IdParams, headers: IfMatchHeaders,
      body: UpdateAssignmentBody, response: { 200: AssignmentSchema }
    }
  }, async (request, reply) =>
    withEtag(reply, await updateAssignment(app.db, contextOf(request), request.params.id, request.body, ifMatchOf(request))))

  activationRoutes(app, {
    path: '/assignments', tag: 'people', name: 'Assignment', response: AssignmentSchema, roles: [...writers],
    setActive: (ctx, id, active, ifMatch) => setAssignmentActive(app.db, ctx, id, active, ifMatch)
  })
}

export default assignmentsRoutes
