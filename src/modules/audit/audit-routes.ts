import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AuditEventPage, AuditEventQuery } from './audit-schemas.ts'
import { listAuditEvents } from './audit-service.ts'

/** The audit log is read-only through the API (and append-only in the database); admins only. */
const auditRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/audit-events', {
    onRequest: app.requireRole('admin'),
    schema: {
      tags: ['audit'], operationId: 'listAuditEvents', querystring: AuditEventQuery, response: { 200: AuditEventPage },
      summary: 'List audit events, newest first',
      description: 'Every write, and every read of an observation, is recorded in the same transaction as the act itself: who (actorAccountId), what (action, objectType, objectId), when (occurredAt) and what changed. Filters combine; from is inclusive, to exclusive.'
    }
  }, async (request) => listAuditEvents(app.db, request.query))
}

export default auditRoutes
