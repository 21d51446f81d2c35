import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

const rubricsRoutes: FastifyPluginAsyncTypebox = async (_app) => {}

export default rubricsRoutes
