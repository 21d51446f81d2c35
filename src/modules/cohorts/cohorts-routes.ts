import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

const cohortsRoutes: FastifyPluginAsyncTypebox = async (_app) => {}

export default cohortsRoutes
