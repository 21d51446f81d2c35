import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

const observationsRoutes: FastifyPluginAsyncTypebox = async (_app) => {}

export default observationsRoutes
