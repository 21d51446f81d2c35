import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

const supervisorsRoutes: FastifyPluginAsyncTypebox = async (_app) => {}

export default supervisorsRoutes
