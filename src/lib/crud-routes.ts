import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type, type TSchema } from 'typebox'
import type { Role, RequestContext } from './request-context.ts'
import { contextOf } from '../plugins/auth.ts'
import { ifMatchOf, withEtag, type Managed } from './crud.ts'
import { IdParams } from './schemas.ts'

type TypeboxApp = Parameters<FastifyPluginAsyncTypebox>[0]

/** Documents the optional If-Match header of writes to managed records. */
export const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(Type.String({ maxLength: 200, description: 'ETag last read; when sent and stale the write is refused with 412.' }))
})

export interface ActivationRoutesOptions<R extends Managed> {
  /** Collection path under /v1, e.g. `/trainees`. */
  path: string
  tag: string
  /** Singular name in operation ids, e.g. `Trainee` gives deactivateTrainee / reactivateTrainee. */
  name: string
  response: TSchema
  roles: Role[]
  setActive: (ctx: RequestContext, id: string, active: boolean, ifMatch: string | undefined) => Promise<R>
}

/**
 * POST {path}/{id}/deactivate and /reactivate. Records are never deleted, since reports must keep
 * their history; a deactivated record stays readable with active=false.
 */
export function activationRoutes<R extends Managed>(app: TypeboxApp, o: ActivationRoutesOptions<R>): void {
  for (const active of [false, true]) {
    const verb = active ? 'reactivate' : 'deactivate'
    app.post(`${o.path}/:id/${verb}`, {
      onRequest: app.requireRole(...o.roles),
      schema: {
        tags: [o.tag],
        operationId: `${verb}${o.name}`,
        summary: active ? `Reactivate a ${o.name.toLowerCase()}` : `Deactivate a ${o.name.toLowerCase()} (it stays readable)`,
        params: IdParams,
        headers: IfMatchHeaders,
        response: { 200: o.response }
      }
    }, async (request, reply) => withEtag(reply, await o.setActive(contextOf(request), request.params.id, active, ifMatchOf(request))))
  }
}
