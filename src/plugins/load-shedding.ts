import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import underPressure from '@fastify/under-pressure'
import type { Config } from '../config.ts'
import { retryAfterOf } from '../errors.ts'
import { NEVER_SHED, SHED_PROBLEMS, type Admission } from './admission.ts'
import { problemBody } from './errors.ts'

export type LoadSheddingOptions = Pick<Config, 'SHED_EVENT_LOOP_DELAY_MS'> & {
  /** The gate in front of Fastify (createAdmission), whose bounds need the pool and the metrics. */
  admission: Admission
  /**
   * The embedded database runs its queries on the event loop's own thread, so a long statement is
   * event-loop delay caused by the very work being done; shedding on it would refuse requests for
   * the instance's own queries. There the in-flight bound does the work.
   */
  embeddedDatabase: boolean
}

const isExempt = (request: FastifyRequest): boolean => NEVER_SHED.has(request.routeOptions.url ?? '')

/**
 * Event-loop delay is not believed this long after the app is ready: under-pressure samples once a
 * second, and the samples up to two after start still hold the start itself (schema compilation,
 * migrations), which would shed the first requests of an idle instance.
 */
export const STARTUP_GRACE_MS = 2000

/**
 * Load shedding. The in-flight and pool-waiter bounds are kept at the HTTP server, before Fastify
 * (src/plugins/admission.ts); this plugin connects that gate to the pool and the metrics, and adds
 * the event-loop bound (SHED_EVENT_LOOP_DELAY_MS), measured by @fastify/under-pressure, in the
 * first onRequest hooks: before authentication, body parsing or any database work.
 */
export default fp(async function loadShedding(app: FastifyInstance, opts: LoadSheddingOptions) {
  const metrics = app.metrics
  opts.admission.connect({ poolWaiting: () => app.database.stats().waiting, metrics })

  if (opts.SHED_EVENT_LOOP_DELAY_MS > 0 && !opts.embeddedDatabase) {
    let readyAt = Number.POSITIVE_INFINITY
    app.addHook('onReady', async () => { readyAt = Date.now() })
    await app.register(underPressure, {
      maxEventLoopDelay: opts.SHED_EVENT_LOOP_DELAY_MS,
      // Returning a body makes under-pressure send it (and stop the request); returning nothing lets the request through.
      // Sent, not thrown: the error handler would log every refusal as a 5xx with its stack, the cost and noise shedding must avoid.
      pressureHandler: (request: FastifyRequest, reply: FastifyReply, type: string) => {
        if (isExempt(request) || !(Date.now() - readyAt >= STARTUP_GRACE_MS)) return
        const reason = type === 'eventLoopDelay' ? 'event_loop' : 'memory'
        metrics.shed.inc({ reason })
        const p = SHED_PROBLEMS[reason]
        void reply.code(503).type('application/problem+json').header('retry-after', String(retryAfterOf(p)))
        return problemBody(p, request.url) as unknown as undefined
      }
    })
  }

  /** Requests admitted and not yet answered; for tests and the metrics. */
  app.decorate('requestsInFlight', opts.admission.inFlight)
}, { name: 'load-shedding', dependencies: ['metrics'] })

declare module 'fastify' {
  interface FastifyInstance {
    requestsInFlight: () => number
  }
}
