import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ifMatchOf, withEtag } from '../../lib/crud.ts'
import { listAnswer } from '../../lib/delta-sync.ts'
import { activationRoutes, IfMatchHeaders } from '../../lib/crud-routes.ts'
import { IdParams } from '../../lib/schemas.ts'
import { contextOf } from '../../plugins/auth.ts'
import { CreateSupervisorBody, SupervisorListQuery, SupervisorPage, SupervisorSchema, UpdateSupervisorBody } from './supervisors-schemas.ts'
import { createSupervisor, getSupervisor, listSupervisors, setSupervisorActive, updateSupervisor } from './supervisors-service.ts'

const tags = ['people']
const readers = ['admin', 'coordinator', 'supervisor', 'integrator'] as const
const writers = ['admin', 'coordinator', 'integrator'] as const
/** Coordinators add and edit supervisors but do not retire them: that is the employer's (or an admin's) call. */
const deactivators = ['admin', 'integrator'] as const

const supervisorsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/supervisors', {
    onRequest: app.requireRole(...writers),
    schema: {
      tags, operationId: 'createSupervisor', summary: 'Create a supervisor',
      description: 'externalHrId is unique within the organization (409 hr-id-taken, naming the supervisor who has it).',
      body: CreateSupervisorBody, response: { 201: SupervisorSchema }
    }
  }, async (request, reply) => {
    const row = await createSupervisor(app.db, contextOf(request), request.body)
    return reply.code(201).header('location', `/v1/supervisors/${row.id}`).send(withEtag(reply, row))
  })

  app.get('/supervisors', {
    onRequest: app.requireRole(...readers),
    schema: {
      tags, operationId: 'listSupervisors', summary: 'List the supervisors you can see, newest first',
      description: 'With updatedSince: a delta sync, oldest change first (then by id), deactivations included, and syncedThrough to send as the next updatedSince (README, Delta sync).',
      querystring: SupervisorListQuery, response: { 200: SupervisorPage }
    }
  }, async (request) => {
    return listAnswer(await listSupervisors(app.db, contextOf(request), request.query))
  })

  app.get('/supervisors/:id', {
    onRequest: app.requireRole(...readers),
    schema: { tags, operationId: 'getSupervisor', summary: 'Get a supervisor', params: IdParams, response: { 200: SupervisorSchema } }
  }, async (request, reply) => withEtag(reply, await getSupervisor(app.db, contextOf(request), request.params.id)))

  app.patch('/supervisors/:id', {
    onRequest: app.requireRole(...writers),
    schema: {
      tags, operationId: 'updateSupervisor', summary: 'Change a supervisor', params: IdParams, headers: IfMatchHeaders,
      body: UpdateSupervisorBody, response: { 200: SupervisorSchema }
    }
  }, async (request, reply) =>
    withEtag(reply, await updateSupervisor(app.db, contextOf(request), request.params.id, request.body, ifMatchOf(request))))

  activationRoutes(app, {
    path: '/supervisors', tag: 'people', name: 'Supervisor', response: SupervisorSchema, roles: [...deactivators],
    setActive: (ctx, id, active, ifMatch) => setSupervisorActive(app.db, ctx, id, active, ifMatch)
  })
}

export default supervisorsRoutes
