import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ERRORS } from '../../errors.ts'

const Status = Type.Object({ status: Type.String() })

const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/health/live', {
    schema: { tags: ['health'], operationId: 'getLiveness', summary: 'The process is up', security: [], response: { 200: Status } }
  }, async () => ({ status: 'ok' }))

  app.get('/health/ready', {
    schema: {
      tags: ['health'], operationId: 'getReadiness', summary: 'The database answers', security: [],
      response: { 200: Status, 503: { $ref: 'Problem#' } }
    }
  }, async () => {
    try {
      await app.database.ping()
    } catch {
      throw ERRORS.unavailable('The database does not answer.')
    }
    return { status: 'ok' }
  })
}

export default healthRoutes
