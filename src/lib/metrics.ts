import { Counter, Gauge, Histogram, Registry } from 'prom-client'

/**
 * The service's Prometheus metrics, one set per app instance (tests build many apps in one
 * process, so nothing goes into prom-client's global registry). Every part of the service counts
 * into these objects; `/metrics` (src/plugins/metrics.ts) serves the registry.
 */
export type ShedReason = 'in_flight' | 'event_loop' | 'pool_waiting' | 'memory'
/** What became of a PDF render job. */
export type RenderOutcome = 'completed' | 'failed' | 'refused' | 'dropped' | 'cancelled' | 'timed_out'
/** Database failures a request can meet, by what an operator does about them. */
export type DatabaseErrorClass = 'connection' | 'acquire_timeout' | 'statement_timeout' | 'read_only' | 'other'

export interface Metrics {
  registry: Registry
  httpRequests: Counter<'method' | 'route' | 'status'>
  httpDuration: Histogram<'method' | 'route'>
  inFlight: Gauge
  shed: Counter<'reason'>
  databaseErrors: Counter<'class'>
  renders: Counter<'lane' | 'outcome'>
}

export function createMetrics(): Metrics {
  const registry = new Registry()
  const registers = [registry]
  return {
    registry,
    httpRequests: new Counter({
      name: 'rapport_http_requests_total', help: 'Requests answered, by route pattern and status.',
      labelNames: ['method', 'route', 'status'], registers
    }),
    httpDuration: new Histogram({
      name: 'rapport_http_request_duration_seconds', help: 'Time to answer a request, by route pattern.',
      labelNames: ['method', 'route'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers
    }),
    inFlight: new Gauge({ name: 'rapport_http_requests_in_flight', help: 'Requests being handled now.', registers }),
    shed: new Counter({
      name: 'rapport_http_requests_shed_total', help: 'Requests refused with 503 overloaded before any work, by the bound that was passed.',
      labelNames: ['reason'], registers
    }),
    databaseErrors: new Counter({
      name: 'rapport_database_errors_total', help: 'Database failures met by requests, by class.',
      labelNames: ['class'], registers
    }),
    renders: new Counter({
      name: 'rapport_pdf_renders_total', help: 'PDF render jobs by lane and what became of them.',
      labelNames: ['lane', 'outcome'], registers
    })
  }
}
