import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ERRORS } from '../../errors.ts'

const Status = Type.Object({ status: Type.Literal('ok') })
const ok = { status: 'ok' as const }

const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // Load balancers and orchestrators poll these; they are never rate limited.
  app.get('/health/live', {
    config: { rateLimit: false },
    schema: { tags: ['health'], operationId: 'getLiveness', summary: 'The process is up', security: [], response: { 200: Status } }
  }, async () => ok)

  app.get('/health/ready', {
    config: { rateLimit: false },
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
    return ok
  })
}

export default healthRoutes
