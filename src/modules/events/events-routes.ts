import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

/** GET /v1/events: the pull feed. Built by the events work package. */
const eventsRoutes: FastifyPluginAsyncTypebox = async () => {}

export default eventsRoutes
