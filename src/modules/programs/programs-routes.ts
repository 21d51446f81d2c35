import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ifMatchOf, toDto, withEtag } from '../../lib/crud.ts'
import { activationRoutes, IfMatchHeaders } from '../../lib/crud-routes.ts'
import { IdParams } from '../../lib/schemas.ts'
import { contextOf } from '../../plugins/auth.ts'
import { CreateProgramBody, ProgramListQuery, ProgramPage, ProgramSchema, UpdateProgramBody } from './programs-schemas.ts'
import { createProgram, getProgram, listPrograms, setProgramActive, updateProgram } from './programs-service.ts'
import programOrganizationsRoutes from './program-organizations-routes.ts'

const tags = ['programs']
/** Integrators read the programmes serving their organization (to place its trainees), never change them. */
const readers = ['admin', 'coordinator', 'supervisor', 'trainee', 'integrator'] as const

const programsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/programs', {
    onRequest: app.requireRole('admin'),
    schema: {
      tags, operationId: 'createProgram', summary: 'Create a programme pinned to a published rubric version',
      body: CreateProgramBody, response: { 201: ProgramSchema }
    }
  }, async (request, reply) => {
    const row = await createProgram(app.db, contextOf(request), request.body)
    return reply.code(201).header('location', `/v1/programs/${row.id}`).send(withEtag(reply, row))
  })

  app.get('/programs', {
    onRequest: app.requireRole(...readers),
    schema: { tags, operationId: 'listPrograms', summary: 'List programmes, newest first', querystring: ProgramListQuery, response: { 200: ProgramPage } }
  }, async (request) => {
    const page = await listPrograms(app.db, contextOf(request), request.query)
    return { items: page.items.map(toDto), nextCursor: page.nextCursor }
  })

  app.get('/programs/:id', {
    onRequest: app.requireRole(...readers),
    schema: { tags, operationId: 'getProgram', summary: 'Get a programme', params: IdParams, response: { 200: ProgramSchema } }
  }, async (request, reply) => withEtag(reply, await getProgram(app.db, contextOf(request), request.params.id)))

  app.patch('/programs/:id', {
    onRequest: app.requireRole('admin'),
    schema: {
      tags, operationId: 'updateProgram', summary: 'Change a programme\'s name, description or reminder days', params: IdParams,
      headers: IfMatchHeaders, body: UpdateProgramBody, response: { 200: ProgramSchema }
    }
  }, async (request, reply) =>
    withEtag(reply, await updateProgram(app.db, contextOf(request), request.params.id, request.body, ifMatchOf(request))))

  activationRoutes(app, {
    path: '/programs', tag: 'programs', name: 'Program', response: ProgramSchema, roles: ['admin'],
    setActive: (ctx, id, active, ifMatch) => setProgramActive(app.db, ctx, id, active, ifMatch)
  })

  await app.register(programOrganizationsRoutes)
}

export default programsRoutes
