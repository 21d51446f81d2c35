import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { IdParams } from '../../lib/schemas.ts'
import { contextOf } from '../../plugins/auth.ts'
import { acknowledgeObservation, amendObservation, submitObservation } from './observation-lifecycle-service.ts'
import { getHistory, getObservation, listObservationPage } from './observation-read-service.ts'
import { createObservation, updateDraft } from './observations-service.ts'
import {
  AcknowledgeBody, AmendObservationBody, CreateObservationBody, HistoryView, ListObservationsQuery, ObservationPage,
  ObservationView, RevisionParams, RevisionView, UpdateObservationBody
} from './observations-schemas.ts'

const tags = ['observations']
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: 'Problem#' } } } })
const IfMatch = Type.Object({
  'if-match': Type.Optional(Type.String({ maxLength: 200, description: 'The ETag of the revision you last read. Required.' }))
})
const guarded = {
  409: problem('The observation is not in a state that allows this action.'),
  412: problem('If-Match does not match the current revision; nothing was changed.'),
  422: problem('The change breaks a rule; `errors` lists each problem.'),
  428: problem('If-Match is missing.')
}
const HISTORY_NOTE = 'Trainees and integrators see only revisions from submission on; integrators get no narrative text.'

const observationsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const writers = app.requireRole('supervisor', 'admin')

  app.post('/observations', {
    onRequest: writers,
    schema: {
      tags, operationId: 'createObservation',
      summary: 'Record an observation of a trainee\'s session (a draft, or submitted at once with submit: true)',
      body: CreateObservationBody,
      response: { 201: ObservationView, 422: guarded[422] }
    }
  }, async (request, reply) => {
    const { view, etag } = await createObservation(app.db, contextOf(request), request.body)
    return reply.code(201).header('location', `/v1/observations/${view.id}`).header('etag', etag).send(view)
  })

  app.get('/observations', {
    schema: {
      tags, operationId: 'listObservations',
      summary: 'Observations visible to you, newest first (integrators get no narrative text)',
      querystring: ListObservationsQuery,
      response: { 200: ObservationPage }
    }
  }, async (request) => listObservationPage(app.db, contextOf(request), request.query))

  app.get('/observations/:id', {
    schema: {
      tags, operationId: 'getObservation', summary: 'One observation, with its computed summary and ETag',
      params: IdParams, response: { 200: ObservationView }
    }
  }, async (request, reply) => {
    const { view, etag } = await getObservation(app.db, contextOf(request), request.params.id)
    return reply.header('etag', etag).send(view)
  })

  app.patch('/observations/:id', {
    onRequest: writers,
    schema: {
      tags, operationId: 'updateObservation',
      summary: 'Save changes to a draft (partial; scores merge by criterionKey, level: null removes one)',
      params: IdParams, headers: IfMatch, body: UpdateObservationBody,
      response: { 200: ObservationView, ...guarded }
    }
  }, async (request, reply) => {
    const { view, etag } = await updateDraft(app.db, contextOf(request), request.params.id, request.headers['if-match'], request.body)
    return reply.header('etag', etag).send(view)
  })

  app.post('/observations/:id/submit', {
    onRequest: writers,
    schema: {
      tags, operationId: 'submitObservation',
      summary: 'Submit a complete draft; 422 lists each required criterion still missing',
      params: IdParams, headers: IfMatch, response: { 200: ObservationView, ...guarded }
    }
  }, async (request, reply) => {
    const { view, etag } = await submitObservation(app.db, contextOf(request), request.params.id, request.headers['if-match'])
    return reply.header('etag', etag).send(view)
  })

  app.post('/observations/:id/amendments', {
    onRequest: writers,
    schema: {
      tags, operationId: 'amendObservation',
      summary: 'Change a submitted observation, with a reason (an acknowledged one returns to submitted)',
      params: IdParams, headers: IfMatch, body: AmendObservationBody,
      response: { 200: ObservationView, ...guarded }
    }
  }, async (request, reply) => {
    const { view, etag } = await amendObservation(app.db, contextOf(request), request.params.id, request.headers['if-match'], request.body)
    return reply.header('etag', etag).send(view)
  })

  app.post('/observations/:id/acknowledge', {
    onRequest: app.requireRole('trainee'),
    // Acknowledging without a comment needs no body at all.
    preValidation: async (request) => { request.body ??= {} },
    schema: {
      tags, operationId: 'acknowledgeObservation',
      summary: 'The trainee acknowledges the feedback they read (the revision named by If-Match); the body is optional',
      params: IdParams, headers: IfMatch, body: AcknowledgeBody,
      response: { 200: ObservationView, ...guarded }
    }
  }, async (request, reply) => {
    const { view, etag } = await acknowledgeObservation(app.db, contextOf(request), request.params.id, request.headers['if-match'], request.body)
    return reply.header('etag', etag).send(view)
  })

  app.get('/observations/:id/history', {
    schema: {
      tags, operationId: 'getObservationHistory',
      summary: 'Every revision of an observation, oldest first, each with its whole state',
      description: HISTORY_NOTE, params: IdParams, response: { 200: HistoryView }
    }
  }, async (request) => ({ items: await getHistory(app.db, contextOf(request), request.params.id) }))

  app.get('/observations/:id/revisions/:revision', {
    schema: {
      tags, operationId: 'getObservationRevision', summary: 'One revision of an observation',
      description: HISTORY_NOTE, params: RevisionParams, response: { 200: RevisionView }
    }
  }, async (request) => {
    const [revision] = await getHistory(app.db, contextOf(request), request.params.id, request.params.revision)
    return revision!
  })
}

export default observationsRoutes
