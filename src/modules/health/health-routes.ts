import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { databaseFailure } from '../../db/failures.ts'
import { problem } from '../../errors.ts'

const Status = Type.Object({ status: Type.Literal('ok') })
const ok = { status: 'ok' as const }

const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // Load balancers and orchestrators poll these; they are never rate limited. Liveness never touches
  // the database: a database outage is no reason to restart the process, which recovers on its own.
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
      // Its own short check (a connection of its own on a server), never queued behind requests.
      await app.database.ready()
    } catch (err) {
      throw problem(databaseFailure(err)?.code ?? 'database-unavailable', 'The database does not answer.')
    }
    return ok
  })
}

export default healthRoutes
