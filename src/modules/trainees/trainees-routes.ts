import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ifMatchOf, withEtag } from '../../lib/crud.ts'
import { listAnswer } from '../../lib/delta-sync.ts'
import { activationRoutes, IfMatchHeaders } from '../../lib/crud-routes.ts'
import { IdParams } from '../../lib/schemas.ts'
import { contextOf } from '../../plugins/auth.ts'
import { CreateTraineeBody, TraineeListQuery, TraineePage, TraineeSchema, UpdateTraineeBody } from './trainees-schemas.ts'
import { createTrainee, getTrainee, listTrainees, setTraineeActive, updateTrainee } from './trainees-service.ts'

const tags = ['people']
/** Coordinators manage the trainees of their cohorts (and place a served organization's unplaced ones); integrators those of their organization. */
const writers = ['admin', 'coordinator', 'integrator'] as const

const traineesRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/trainees', {
    onRequest: app.requireRole(...writers),
    schema: {
      tags, operationId: 'createTrainee', summary: 'Create a trainee',
      description: 'externalHrId is unique within the organization (409 hr-id-taken, naming the trainee who has it in existingId and existingUrl). '
        + 'Coordinators place the trainee in a cohort of their programmes; integrators may place it in a cohort of a programme serving their organization, or in none.',
      body: CreateTraineeBody, response: { 201: TraineeSchema }
    }
  }, async (request, reply) => {
    const row = await createTrainee(app.db, contextOf(request), request.body)
    return reply.code(201).header('location', `/v1/trainees/${row.id}`).send(withEtag(reply, row))
  })

  app.get('/trainees', {
    schema: {
      tags, operationId: 'listTrainees', summary: 'List the trainees you can see, newest first',
      description: 'With updatedSince: a delta sync, oldest change first (then by id), deactivations included, and syncedThrough to send as the next updatedSince (README, Delta sync).',
      querystring: TraineeListQuery, response: { 200: TraineePage }
    }
  }, async (request) => {
    return listAnswer(await listTrainees(app.db, contextOf(request), request.query))
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
