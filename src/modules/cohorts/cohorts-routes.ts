import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ifMatchOf, toDto, withEtag } from '../../lib/crud.ts'
import { activationRoutes, IfMatchHeaders } from '../../lib/crud-routes.ts'
import { IdParams } from '../../lib/schemas.ts'
import { contextOf } from '../../plugins/auth.ts'
import { CohortListQuery, CohortPage, CohortSchema, CreateCohortBody, UpdateCohortBody } from './cohorts-schemas.ts'
import { createCohort, getCohort, listCohorts, setCohortActive, updateCohort } from './cohorts-service.ts'

const tags = ['programs']
/** Integrators read the cohorts of programmes serving their organization (to place its trainees), never change them. */
const readers = ['admin', 'coordinator', 'supervisor', 'trainee', 'integrator'] as const
const writers = ['admin', 'coordinator'] as const

/** Cohorts of a programme; coordinators manage those of the programmes they coordinate. */
const cohortsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/cohorts', {
    onRequest: app.requireRole(...writers),
    schema: { tags, operationId: 'createCohort', summary: 'Create a cohort in a programme', body: CreateCohortBody, response: { 201: CohortSchema } }
  }, async (request, reply) => {
    const row = await createCohort(app.db, contextOf(request), request.body)
    return reply.code(201).header('location', `/v1/cohorts/${row.id}`).send(withEtag(reply, row))
  })

  app.get('/cohorts', {
    onRequest: app.requireRole(...readers),
    schema: { tags, operationId: 'listCohorts', summary: 'List cohorts, newest first', querystring: CohortListQuery, response: { 200: CohortPage } }
  }, async (request) => {
    const page = await listCohorts(app.db, contextOf(request), request.query)
    return { items: page.items.map(toDto), nextCursor: page.nextCursor }
  })

  app.get('/cohorts/:id', {
    onRequest: app.requireRole(...readers),
    schema: { tags, operationId: 'getCohort', summary: 'Get a cohort', params: IdParams, response: { 200: CohortSchema } }
  }, async (request, reply) => withEtag(reply, await getCohort(app.db, contextOf(request), request.params.id)))

  app.patch('/cohorts/:id', {
    onRequest: app.requireRole(...writers),
    schema: {
      tags, operationId: 'updateCohort', summary: 'Change a cohort\'s name or dates', params: IdParams, headers: IfMatchHeaders,
      body: UpdateCohortBody, response: { 200: CohortSchema }
    }
  }, async (request, reply) =>
    withEtag(reply, await updateCohort(app.db, contextOf(request), request.params.id, request.body, ifMatchOf(request))))

  activationRoutes(app, {
    path: '/cohorts', tag: 'programs', name: 'Cohort', response: CohortSchema, roles: [...writers],
    setActive: (ctx, id, active, ifMatch) => setCohortActive(app.db, ctx, id, active, ifMatch)
  })
}

export default cohortsRoutes
