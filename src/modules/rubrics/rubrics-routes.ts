import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { Page, PageQuery } from '../../lib/schemas.ts'
import { contextOf } from '../../plugins/auth.ts'
import {
  CreateRubricBody, CreateVersionBody, KeyParams, RubricDetail, RubricSummary, RubricVersion, UpdateVersionBody,
  VersionOrLatestParams, VersionParams
} from './rubric-schemas.ts'
import * as service from './rubrics-service.ts'
import { versionEtag } from './rubrics-views.ts'

const tags = ['rubrics']
const problem = { $ref: 'Problem#' }
const ListQuery = Type.Object({
  ...PageQuery,
  published: Type.Optional(Type.Boolean({ description: 'true: only rubrics with a published version; false: only those without (admins).' }))
}, { additionalProperties: false })

const rubricsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const admin = app.requireRole('admin')

  app.post('/rubrics', {
    onRequest: admin,
    schema: {
      tags, operationId: 'createRubric', summary: 'Create a rubric with its version 1 (a draft unless `publish`)',
      body: CreateRubricBody, response: { 201: RubricDetail, 409: problem }
    }
  }, async (request, reply) => {
    const rubric = await service.createRubric(app.db, contextOf(request), request.body)
    return reply.code(201).header('location', `/v1/rubrics/${rubric.key}`).send(rubric)
  })

  app.get('/rubrics', {
    schema: {
      tags, operationId: 'listRubrics', summary: 'Rubrics, newest first, with their latest published version number',
      querystring: ListQuery, response: { 200: Page(RubricSummary) }
    }
  }, async (request) => service.listRubrics(app.db, contextOf(request), request.query))

  app.get('/rubrics/:key', {
    schema: {
      tags, operationId: 'getRubric', summary: 'A rubric with a summary of its versions',
      params: KeyParams, response: { 200: RubricDetail }
    }
  }, async (request) => service.getRubric(app.db, contextOf(request), request.params.key))

  app.post('/rubrics/:key/versions', {
    onRequest: admin,
    schema: {
      tags, operationId: 'createRubricVersion', summary: 'Add the next version of a rubric (a draft unless `publish`); one open draft at a time',
      params: KeyParams, body: CreateVersionBody, response: { 201: RubricVersion, 409: problem }
    }
  }, async (request, reply) => {
    const version = await service.createVersion(app.db, contextOf(request), request.params.key, request.body)
    return reply.code(201).header('location', `/v1/rubrics/${version.key}/versions/${version.version}`)
      .header('etag', versionEtag(version)).send(version)
  })

  app.get('/rubrics/:key/versions/:version', {
    schema: {
      tags, operationId: 'getRubricVersion', summary: 'One version with its full definition (`latest`: the latest published)',
      params: VersionOrLatestParams, response: { 200: RubricVersion }
    }
  }, async (request, reply) => {
    const { key, version } = request.params
    const found = await service.getVersion(app.db, contextOf(request), key, version === 'latest' ? 'latest' : Number(version))
    return reply.header('etag', versionEtag(found)).send(found)
  })

  app.patch('/rubrics/:key/versions/:version', {
    onRequest: admin,
    schema: {
      tags, operationId: 'updateRubricVersion', summary: 'Replace the definition of a draft version (If-Match honored)',
      params: VersionParams, body: UpdateVersionBody, response: { 200: RubricVersion, 409: problem, 412: problem }
    }
  }, async (request, reply) => {
    const { key, version } = request.params
    const updated = await service.updateDraft(app.db, contextOf(request), key, version, request.body.definition, request.headers['if-match'])
    return reply.header('etag', versionEtag(updated)).send(updated)
  })

  app.post('/rubrics/:key/versions/:version/publish', {
    onRequest: admin,
    schema: {
      tags, operationId: 'publishRubricVersion', summary: 'Publish a draft version; it can never change afterwards (If-Match honored)',
      params: VersionParams, response: { 200: RubricVersion, 409: problem, 412: problem }
    }
  }, async (request, reply) => {
    const { key, version } = request.params
    const published = await service.publishVersion(app.db, contextOf(request), key, version, request.headers['if-match'])
    return reply.header('etag', versionEtag(published)).send(published)
  })
}

export default rubricsRoutes
