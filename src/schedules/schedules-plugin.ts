import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.ts'

/** The minute tick of daily per-organization jobs, and the eligibility watch. Built by the schedules work package. */
export default fp(async function schedulesPlugin(app: FastifyInstance, config: Pick<Config, 'SCHEDULE_LOCAL_HOUR' | 'EVENTS_RETENTION_DAYS'>) {
  void app; void config
}, { name: 'schedules', dependencies: ['background', 'events'] })
