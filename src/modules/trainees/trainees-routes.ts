import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

const traineesRoutes: FastifyPluginAsyncTypebox = async (_app) => {}

export default traineesRoutes
