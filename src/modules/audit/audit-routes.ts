import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

const auditRoutes: FastifyPluginAsyncTypebox = async (_app) => {}

export default auditRoutes
