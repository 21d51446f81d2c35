import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { createMetrics, type Metrics } from '../lib/metrics.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** This instance's Prometheus metrics; every part counts into them. */
    metrics: Metrics
  }
}

export default fp(async function metricsPlugin(app: FastifyInstance) {
  app.decorate('metrics', createMetrics())
}, { name: 'metrics' })
