import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client'
import type { PoolStats } from '../db/client.ts'
import { ERRORS } from '../errors.ts'
import { createMetrics, type Metrics } from '../lib/metrics.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** This instance's Prometheus metrics; every part counts into them. */
    metrics: Metrics
  }
}

/** The label of every request no route matched: raw URLs never become labels (ids, tokens, scanners' paths). */
export const UNMATCHED_ROUTE = '(unmatched)'

let processRegistry: Registry | undefined

/**
 * The process's own figures (CPU, memory, heap, event-loop lag, GC, handles) with a `rapport_`
 * prefix. They describe the process, not an app, and prom-client's collectors start an event-loop
 * histogram and a GC observer that cannot be stopped, so they are collected once per process
 * (tests build many apps in one) and served beside each app's own registry.
 */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry()
    collectDefaultMetrics({ register: processRegistry, prefix: 'rapport_' })
  }
  return processRegistry
}

/** The pool figures, read from `app.database.stats()` when scraped (the db plugin decorates it later). */
function poolGauges(app: FastifyInstance, registry: Registry): void {
  const gauge = (name: string, help: string, read: (s: PoolStats) => number) =>
    new Gauge({
      name, help, registers: [registry],
      collect() { if (app.hasDecorator('database')) this.set(read(app.database.stats())) }
    })
  gauge('rapport_database_pool_connections', 'Connections open in the database pool (1 on the embedded database).', (s) => s.total)
  gauge('rapport_database_pool_idle_connections', 'Open pool connections not in use.', (s) => s.idle)
  gauge('rapport_database_pool_waiting_requests', 'Requests waiting for a pooled connection (0 on the embedded database).', (s) => s.waiting)
}

const digest = (text: string) => createHash('sha256').update(text).digest()

/** A constant-time comparison of the bearer token with the configured one. */
function tokenMatches(request: FastifyRequest, expected: Buffer): boolean {
  const sent = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '')?.[1]
  return sent !== undefined && timingSafeEqual(digest(sent), expected)
}

/**
 * Decorates `app.metrics` (registered first, so every other plugin can count into it) and counts
 * every answer by route pattern and status.
 */
export default fp(async function metricsPlugin(app: FastifyInstance) {
  const metrics = createMetrics()
  app.decorate('metrics', metrics)
  poolGauges(app, metrics.registry)

  app.addHook('onResponse', async (request, reply) => {
    const labels = { method: request.method, route: request.routeOptions.url ?? UNMATCHED_ROUTE }
    metrics.httpRequests.inc({ ...labels, status: String(reply.statusCode) })
    metrics.httpDuration.observe(labels, reply.elapsedTime / 1000)
  })
}, { name: 'metrics' })

/**
 * With a token, `GET /metrics` serves the registry in Prometheus text format to callers that send
 * it as a bearer token; without one the route does not exist (404). Registered with the other
 * routes, after every hook: the scrape is never rate limited nor shed, and not in the OpenAPI document.
 */
export async function metricsRoute(app: FastifyInstance, opts: { token?: string | undefined }): Promise<void> {
  if (opts.token === undefined) return
  const expected = digest(opts.token)
  const processRegistry = processMetrics()
  const { registry } = app.metrics
  app.get('/metrics', { config: { rateLimit: false }, schema: { hide: true } }, async (request, reply) => {
    if (!tokenMatches(request, expected)) throw ERRORS.unauthorized('Send the metrics token as "Authorization: Bearer <METRICS_TOKEN>".')
    const text = `${await registry.metrics()}\n${await processRegistry.metrics()}`
    return reply.type(registry.contentType).header('cache-control', 'no-store').send(text)
  })
}
