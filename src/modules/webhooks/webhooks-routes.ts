import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

/** /v1/webhook-endpoints and /v1/webhook-deliveries. Built by the webhooks work package. */
const webhooksRoutes: FastifyPluginAsyncTypebox = async () => {}

export default webhooksRoutes
