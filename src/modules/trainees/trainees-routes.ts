import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ifMatchOf, toDto, withEtag } from '../../lib/crud.ts'
import { activationRoutes, IfMatchHeaders } from '../../lib/crud-routes.ts'
import { IdParams } from '../../lib/schemas.ts'
import { contextOf } from '../../plugins/auth.ts'
import { CreateTraineeBody, TraineeListQuery, TraineePage, TraineeSchema, UpdateTraineeBody } from './trainees-schemas.ts'
import { createTrainee, getTrainee, listTrainees, setTraineeActive, updateTrainee } from './trainees-service.ts'

const tags = ['people']
/** Coordinators manage the trainees of their cohorts; integrators those of their organization. */
const writers = ['admin', 'coordinator', 'integrator'] as const

const traineesRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/trainees', {
    onRequest: app.requireRole(...writers),
    schema: {
      tags, operationId: 'createTrainee', summary: 'Create a trainee',
      description: 'externalHrId is unique within the organization (409 when taken).',
      body: CreateTraineeBody, response: { 201: TraineeSchema }
    }
  }, async (request, reply) => {
    const row = await createTrainee(app.db, contextOf(request), request.body)
    return reply.code(201).header('location', `/v1/trainees/${row.id}`).send(withEtag(reply, row))
  })

  app.get('/trainees', {
    schema: {
      tags, operationId: 'listTrainees', summary: 'List the trainees you can see, newest first',
      querystring: TraineeListQuery, response: { 200: TraineePage }
    }
  }, async (request) => {
    const page = await listTrainees(app.db, contextOf(request), request.query)
    return { items: page.items.map(toDto), nextCursor: page.nextCursor }
  })

  app.get('/trainees/:id', {
    schema: { tags, operationId: 'getTrainee', summary: 'Get a trainee', params: IdParams, response: { 200: TraineeSchema } }
  }, async (request, reply) => withEtag(reply, await getTrainee(app.db, contextOf(request), request.params.id)))

  app.patch('/trainees/:id', {
    onRequest: app.requireRole(...writers),
    schema: {
      tags, operationId: 'updateTrainee', summary: 'Change a trainee', params: IdParams, headers: IfMatchHeaders,
      body: UpdateTraineeBody, response: { 200: TraineeSchema }
    }
  }, async (request, reply) =>
    withEtag(reply, await updateTrainee(app.db, contextOf(request), request.params.id, request.body, ifMatchOf(request))))

  activationRoutes(app, {
    path: '/trainees', tag: 'people', name: 'Trainee', response: TraineeSchema, roles: [...writers],
    setActive: (ctx, id, active, ifMatch) => setTraineeActive(app.db, ctx, id, active, ifMatch)
  })
}

export default traineesRoutes
