import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams } from '../../lib/schemas.ts'
import { contextOf } from '../../plugins/auth.ts'
import { DeliveryListQuery, ReplayBody, ReplayResult, WebhookDeliveryPage, WebhookDeliverySchema } from './deliveries-schemas.ts'
import { listDeliveries, REPLAY_MAX, replay, retryDelivery } from './deliveries-service.ts'
import { tags } from './endpoints-routes.ts'
import { DELIVERY_LOOP } from './webhooks-plugin.ts'

/** An endpoint's deliveries and their attempts; a retry by hand; a replay of a time range. */
const deliveriesRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const managers = app.requireRole('admin', 'integrator')

  app.get('/webhook-endpoints/:id/deliveries', {
    onRequest: managers,
    schema: {
      tags, operationId: 'listWebhookDeliveries', summary: 'List an endpoint\'s deliveries, newest first, each with every attempt (status, latency, excerpt, error)',
      params: IdParams, querystring: DeliveryListQuery, response: { 200: WebhookDeliveryPage }
    }
  }, async (request) => listDeliveries(app.db, contextOf(request), request.params.id, request.query))

  app.post('/webhook-deliveries/:id/retry', {
    onRequest: managers,
    schema: {
      tags, operationId: 'retryWebhookDelivery', summary: 'Send a delivery again now, with the same webhook-id',
      description: 'Refused with 409 `webhook-delivery-in-flight` while an attempt is being sent, and 409 `webhook-endpoint-inactive` when its endpoint is deactivated.',
      params: IdParams, response: { 202: WebhookDeliverySchema }
    }
  }, async (request, reply) => {
    const delivery = await retryDelivery(app.db, contextOf(request), request.params.id)
    app.background.nudge(DELIVERY_LOOP)
    return reply.code(202).send(delivery)
  })

  app.post('/webhook-endpoints/:id/replay', {
    onRequest: managers,
    schema: {
      tags, operationId: 'replayWebhookEvents', summary: 'Deliver again the endpoint\'s events of a time range (each with its own webhook-id)',
      description: `Queues one new delivery per event of the endpoint's types and scope that occurred in [from, to), at most ${REPLAY_MAX} (422 \`replay-too-large\`); ` +
        'the range must lie within what the feed keeps (422 `replay-range-invalid`).',
      params: IdParams, body: ReplayBody, response: { 202: ReplayResult }
    }
  }, async (request, reply) => {
    const result = await replay(app.db, contextOf(request), request.params.id, request.body, app.webhooks.retentionDays)
    app.background.nudge(DELIVERY_LOOP)
    return reply.code(202).send(result)
  })
}

export default deliveriesRoutes
