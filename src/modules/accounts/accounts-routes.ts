import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

const accountsRoutes: FastifyPluginAsyncTypebox = async (_app) => {}

export default accountsRoutes
