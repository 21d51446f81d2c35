import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { contextOf } from '../../plugins/auth.ts'
import { EVENT_READERS } from '../access/policy.ts'
import { EventFeedPage, EventFeedQuery } from './events-schemas.ts'
import { listEvents } from './events-service.ts'

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: 'Problem#' } } } })

/** GET /v1/events: the pull feed (the outbox, numbered by the relay once committed). */
const eventsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/events', {
    onRequest: app.requireRole(...EVENT_READERS),
    schema: {
      tags: ['events'], operationId: 'listEvents', querystring: EventFeedQuery, response: {
        200: EventFeedPage,
        410: problem('The cursor is older than what the feed keeps (code cursor-expired): start again without after and reconcile.')
      },
      summary: 'Read the event feed, oldest first',
      description: 'What happened, in feed order: each event once, never skipping one that committed late or on another instance. '
        + 'Poll with the nextCursor of the last page as after (it is present on every page, empty ones too). Kept for '
        + 'EVENTS_RETENTION_DAYS (at least 30) days; an older cursor gets 410 cursor-expired. Admins read every event, '
        + 'integrators their organization\'s, coordinators their programs\'. Payloads carry ids and links, never notes or evidence.'
    }
  }, async (request) => listEvents(app.db, contextOf(request), request.query))
}

export default eventsRoutes
