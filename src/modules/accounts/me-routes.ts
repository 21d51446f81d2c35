import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ifMatchOf } from '../../lib/crud.ts'
import { IfMatchHeaders } from '../../lib/crud-routes.ts'
import { contextOf } from '../../plugins/auth.ts'
import { MeSchema, UpdateMeBody } from './accounts-schemas.ts'
import { getMe, updateMySettings } from './me-service.ts'

/** Any role: who am I, with what scope, and with which key; and one's own settings. */
const meRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/me', {
    schema: {
      tags: ['accounts'], operationId: 'getMe', response: { 200: MeSchema },
      summary: 'The calling account, its role and scope, the key in use, and its settings'
    }
  }, async (request, reply) => {
    const { me, etag } = await getMe(app.db, contextOf(request))
    return reply.header('etag', etag).send(me)
  })

  app.patch('/me', {
    schema: {
      tags: ['accounts'], operationId: 'updateMe', headers: IfMatchHeaders, body: UpdateMeBody, response: { 200: MeSchema },
      summary: 'Change the calling account\'s own settings (reminder emails)',
      description: 'If-Match (the ETag of GET /v1/me) is honoured when sent: a stale one answers 412. Audited as account.update.'
    }
  }, async (request, reply) => {
    const ctx = contextOf(request)
    await updateMySettings(app.db, ctx, request.body, ifMatchOf(request))
    const { me, etag } = await getMe(app.db, ctx)
    return reply.header('etag', etag).send(me)
  })
}

export default meRoutes
