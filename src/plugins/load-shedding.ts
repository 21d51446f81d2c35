import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import underPressure from '@fastify/under-pressure'
import type { Config } from '../config.ts'
import { problem, retryAfterOf, type AppError } from '../errors.ts'
import type { ShedReason } from '../lib/metrics.ts'
import { problemBody } from './errors.ts'

/**
 * Routes never shed: the orchestrator's probes (a shed probe would get a busy instance killed or
 * taken out of rotation, which makes the overload worse) and the metrics scrape (the figures matter
 * most while the instance is overloaded).
 */
export const NEVER_SHED = new Set(['/health/live', '/health/ready', '/metrics'])

export type LoadSheddingOptions = Pick<Config, 'MAX_IN_FLIGHT_REQUESTS' | 'SHED_EVENT_LOOP_DELAY_MS' | 'SHED_POOL_WAITING_MAX'> & {
  /**
   * The embedded database runs its queries on the event loop's own thread, so a long statement is
   * event-loop delay caused by the very work being done; shedding on it would refuse requests for
   * the instance's own queries. There the in-flight bound does the work.
   */
  embeddedDatabase: boolean
}

const DETAIL: Record<ShedReason, string> = {
  in_flight: 'This instance is handling as many requests as it can at once',
  event_loop: 'This instance is too busy to answer in time',
  pool_waiting: 'Too many requests are waiting for a database connection',
  memory: 'This instance is short of memory'
}

const isExempt = (request: FastifyRequest): boolean => NEVER_SHED.has(request.routeOptions.url ?? '')

/**
 * Event-loop delay is not believed this long after the app is ready: under-pressure samples once a
 * second, and the samples up to two after start still hold the start itself (schema compilation,
 * migrations), which would shed the first requests of an idle instance.
 */
export const STARTUP_GRACE_MS = 2000

/**
 * Load shedding: a request beyond a bound gets a fast 503 `overloaded` (Retry-After from the
 * cause) in the first onRequest hooks, before authentication, body parsing or any database work,
 * so that the requests already admitted keep their latency. The bounds:
 * - requests in flight (MAX_IN_FLIGHT_REQUESTS): the one that works on every database;
 * - requests waiting for a pooled connection (SHED_POOL_WAITING_MAX; always 0 on PGlite);
 * - event-loop delay (SHED_EVENT_LOOP_DELAY_MS), measured by @fastify/under-pressure.
 * The in-flight count (and the `rapport_http_requests_in_flight` gauge) is kept even when the
 * bound is off. Each admitted request is released exactly once: when its answer is written, when
 * its client hangs up, or when its socket closes, whichever comes first.
 */
export default fp(async function loadShedding(app: FastifyInstance, opts: LoadSheddingOptions) {
  const metrics = app.metrics
  let inFlight = 0
  const admitted = new WeakSet<FastifyRequest>()

  // Made once: a shed answer must cost next to nothing, and a stack trace per refusal would not.
  const refusals = Object.fromEntries(Object.entries(DETAIL).map(([reason, detail]) =>
    [reason, problem('overloaded', `${detail}; retry shortly.`)])) as Record<ShedReason, AppError>

  /**
   * Counts the refusal, readies the 503 and returns its problem body. Sent, not thrown: the error
   * handler would log every refusal as a 5xx with its stack, the cost and noise shedding must avoid.
   */
  const refusal = (request: FastifyRequest, reply: FastifyReply, reason: ShedReason): Record<string, unknown> => {
    metrics.shed.inc({ reason })
    const p = refusals[reason]
    void reply.code(503).type('application/problem+json').header('retry-after', String(retryAfterOf(p)))
    return problemBody(p, request.url)
  }

  const release = (request: FastifyRequest): void => {
    if (!admitted.delete(request)) return
    inFlight--
    metrics.inFlight.set(inFlight)
  }

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const exempt = isExempt(request)
    if (!exempt) {
      if (opts.MAX_IN_FLIGHT_REQUESTS > 0 && inFlight >= opts.MAX_IN_FLIGHT_REQUESTS) return reply.send(refusal(request, reply, 'in_flight'))
      if (opts.SHED_POOL_WAITING_MAX > 0 && app.database.stats().waiting > opts.SHED_POOL_WAITING_MAX) return reply.send(refusal(request, reply, 'pool_waiting'))
    }
    admitted.add(request)
    inFlight++
    metrics.inFlight.set(inFlight)
    // onResponse does not run when the socket closes before the answer is written; 'close' always comes.
    reply.raw.once('close', () => release(request))
    return undefined
  })
  app.addHook('onResponse', async (request) => release(request))
  app.addHook('onRequestAbort', async (request) => release(request))

  if (opts.SHED_EVENT_LOOP_DELAY_MS > 0 && !opts.embeddedDatabase) {
    let readyAt = Number.POSITIVE_INFINITY
    app.addHook('onReady', async () => { readyAt = Date.now() })
    await app.register(underPressure, {
      maxEventLoopDelay: opts.SHED_EVENT_LOOP_DELAY_MS,
      // Returning a body makes under-pressure send it (and stop the request); returning nothing lets the request through.
      pressureHandler: (request, reply, type) => {
        if (isExempt(request) || !(Date.now() - readyAt >= STARTUP_GRACE_MS)) return
        return refusal(request, reply, type === 'eventLoopDelay' ? 'event_loop' : 'memory') as unknown as undefined
      }
    })
  }

  /** Requests admitted and not yet answered; for tests and the metrics. */
  app.decorate('requestsInFlight', () => inFlight)
}, { name: 'load-shedding', dependencies: ['metrics'] })

declare module 'fastify' {
  interface FastifyInstance {
    requestsInFlight: () => number
  }
}
