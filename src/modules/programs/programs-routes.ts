import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

const programsRoutes: FastifyPluginAsyncTypebox = async (_app) => {}

export default programsRoutes
