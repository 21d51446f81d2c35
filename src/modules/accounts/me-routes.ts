import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { contextOf } from '../../plugins/auth.ts'
import { MeSchema } from './accounts-schemas.ts'
import { describeCaller } from './api-keys-service.ts'

/** Any role: who am I, with what scope, and with which key. */
const meRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/me', {
    schema: {
      tags: ['accounts'], operationId: 'getMe', response: { 200: MeSchema },
      summary: 'The calling account, its role and scope, and the key in use'
    }
  }, async (request) => describeCaller(app.db, contextOf(request)))
}

export default meRoutes
