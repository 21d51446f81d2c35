import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

const organizationsRoutes: FastifyPluginAsyncTypebox = async (_app) => {}

export default organizationsRoutes
