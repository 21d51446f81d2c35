import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http'
import type { FastifyServerFactory, FastifyServerOptions } from 'fastify'
import { problem, retryAfterOf, type AppError } from '../errors.ts'
import type { Metrics, ShedReason } from '../lib/metrics.ts'
import { problemBody } from './errors.ts'

/**
 * Paths never shed: the orchestrator's probes (a shed probe would get a busy instance killed or
 * taken out of rotation, which makes the overload worse) and the metrics scrape (the figures matter
 * most while the instance is overloaded).
 */
export const NEVER_SHED = new Set(['/health/live', '/health/ready', '/metrics'])

export const SHED_DETAIL: Record<ShedReason, string> = {
  in_flight: 'This instance is handling as many requests as it can at once',
  event_loop: 'This instance is too busy to answer in time',
  pool_waiting: 'Too many requests are waiting for a database connection',
  memory: 'This instance is short of memory'
}

/** The shed problem of each reason, made once: a refusal must cost next to nothing. */
export const SHED_PROBLEMS = Object.fromEntries(Object.entries(SHED_DETAIL).map(([reason, detail]) =>
  [reason, problem('overloaded', `${detail}; retry shortly.`)])) as Record<ShedReason, AppError>

export interface AdmissionOptions {
  /** Requests handled at once at most (MAX_IN_FLIGHT_REQUESTS); 0 = no bound. */
  maxInFlight: number
  /** Requests waiting for a pooled connection beyond which new ones are shed (SHED_POOL_WAITING_MAX); 0 = no bound. */
  poolWaitingMax: number
  /** The API's security headers, which a shed answer carries like every other. */
  headers: Record<string, string>
  /** Gives each answer its request id, as the app's own answers have. */
  requestId: (req: IncomingMessage) => string
}

/** What the app connects once it has them: the pool's waiters and the metrics. */
export interface AdmissionSources {
  poolWaiting: () => number
  metrics: Pick<Metrics, 'shed' | 'inFlight'>
}

export interface Admission {
  /** Fastify's `serverFactory`: an HTTP server whose requests pass the gate before Fastify sees them. */
  serverFactory: FastifyServerFactory
  connect: (sources: AdmissionSources) => void
  /** Requests admitted and not yet answered. */
  inFlight: () => number
}

const pathOf = (url: string | undefined) => {
  const raw = url ?? '/'
  const q = raw.indexOf('?')
  return q === -1 ? raw : raw.slice(0, q)
}

/**
 * Load shedding at the HTTP server, before Fastify: a request beyond MAX_IN_FLIGHT_REQUESTS, or
 * arriving while more than SHED_POOL_WAITING_MAX requests wait for a pooled connection, gets a 503
 * `overloaded` problem with Retry-After written straight to its response: no routing, hooks,
 * request logging, authentication or body parsing (the body is discarded by Node), a few
 * microseconds each. Under overload most answers are refusals, so what a refusal costs is taken
 * from the admitted requests. The connection stays open: a client that reconnects costs more than
 * one that waits (Node accepts one new connection per turn of its event loop).
 *
 * Each admitted request is released exactly once, when its response is written or its client is
 * gone, whichever comes first. `app.inject()` does not pass through the server, so it is never shed.
 */
export function createAdmission(opts: AdmissionOptions): Admission {
  let inFlight = 0
  let sources: AdmissionSources | undefined
  const answers = Object.fromEntries(Object.entries(SHED_PROBLEMS).map(([reason, p]) => [reason, {
    problem: p,
    headers: { ...opts.headers, 'content-type': 'application/problem+json', 'retry-after': String(retryAfterOf(p)) } as Record<string, string>
  }])) as unknown as Record<ShedReason, { problem: AppError; headers: Record<string, string> }>

  const refuse = (req: IncomingMessage, res: ServerResponse, reason: ShedReason): void => {
    sources?.metrics.shed.inc({ reason })
    const answer = answers[reason]
    const body = JSON.stringify(problemBody(answer.problem, req.url ?? '/'))
    res.writeHead(503, { ...answer.headers, 'content-length': Buffer.byteLength(body), 'x-request-id': opts.requestId(req) })
    res.end(body)
  }

  const shedReason = (req: IncomingMessage): ShedReason | undefined => {
    if (NEVER_SHED.has(pathOf(req.url))) return undefined
    if (opts.maxInFlight > 0 && inFlight >= opts.maxInFlight) return 'in_flight'
    if (opts.poolWaitingMax > 0 && sources && sources.poolWaiting() > opts.poolWaitingMax) return 'pool_waiting'
    return undefined
  }

  const gate = (handler: (req: IncomingMessage, res: ServerResponse) => void) => (req: IncomingMessage, res: ServerResponse) => {
    const reason = shedReason(req)
    if (reason) return refuse(req, res, reason)
    inFlight++
    sources?.metrics.inFlight.set(inFlight)
    // Released once: when the answer is handed to the network ('finish', before the client can send
    // its next request on the connection), or when the client hangs up first ('close' always comes).
    let released = false
    const release = () => {
      if (released) return
      released = true
      inFlight--
      sources?.metrics.inFlight.set(inFlight)
    }
    res.once('finish', release)
    res.once('close', release)
    handler(req, res)
  }

  /** The server Fastify would make (its timeouts applied as Fastify does), with the gate in front. */
  const serverFactory: FastifyServerFactory = (handler, options: FastifyServerOptions & { http?: ServerOptions }) => {
    const server: Server = createServer(options.http ?? {}, gate(handler))
    if (options.keepAliveTimeout !== undefined) server.keepAliveTimeout = options.keepAliveTimeout
    if (options.requestTimeout !== undefined) server.requestTimeout = options.requestTimeout
    if (options.connectionTimeout !== undefined) server.setTimeout(options.connectionTimeout)
    if (options.maxRequestsPerSocket) server.maxRequestsPerSocket = options.maxRequestsPerSocket
    return server
  }

  return {
    serverFactory,
    connect: (s) => { sources = s },
    inFlight: () => inFlight
  }
}
