import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import deliveriesRoutes from './deliveries-routes.ts'
import endpointsRoutes from './endpoints-routes.ts'

/** /v1/webhook-endpoints and /v1/webhook-deliveries. */
const webhooksRoutes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(endpointsRoutes)
  await app.register(deliveriesRoutes)
}

export default webhooksRoutes
