import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { RequestContext } from '../../lib/request-context.ts'
import { getObservation } from '../observations/observation-read-service.ts'
import type { ObservationView } from '../observations/observations-schemas.ts'
import { requireSignIn, sessionContext } from './web-plugin.ts'

export interface OpenDraft { ctx: RequestContext; id: string; view: ObservationView }

/**
 * The draft of `/observations/:id/...` as its supervisor works on it (same access as the API: out of
 * scope is 404). Undefined when the reply is already sent: the sign-in page, or the read-only view
 * once the observation is no longer a draft.
 */
export async function openSupervisorDraft(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply): Promise<OpenDraft | undefined> {
  const session = requireSignIn(request, reply, ['supervisor'])
  if (!session) return undefined
  const ctx = sessionContext(request, session.principal)
  const { id } = request.params as { id: string }
  const { view } = await getObservation(app.db, ctx, id)
  if (view.status !== 'draft') {
    reply.redirect(`/observations/${id}`, 303)
    return undefined
  }
  return { ctx, id, view }
}
