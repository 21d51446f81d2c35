import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.ts'
import { consumeFeed } from '../events/consumers.ts'
import { eligibilityDailyJob, eligibilityWatch } from '../modules/eligibility/eligibility-watch.ts'
import { reminderJobs } from './reminders.ts'
import { runTick, type DailyJob } from './tick.ts'

export const SCHEDULE_LOOP = 'schedules:tick'
const TICK_MS = 60_000

/** The daily per-organization jobs, in the order a tick runs them. */
export function dailyJobs(publicBaseUrl: string): DailyJob[] {
  return [{ name: 'eligibility-time', run: (tx, job) => eligibilityDailyJob(tx, job) }, ...reminderJobs(publicBaseUrl)]
}

/**
 * The minute tick of the daily per-organization jobs (src/schedules/tick.ts), and the eligibility
 * watch on the feed. Both are background loops: they run only where DISPATCHER_ENABLED is true.
 */
export default fp(async function schedulesPlugin(app: FastifyInstance, config: Pick<Config, 'SCHEDULE_LOCAL_HOUR' | 'EVENTS_RETENTION_DAYS'>) {
  const jobs = dailyJobs(app.identity.publicBaseUrl)
  app.background.register(SCHEDULE_LOOP, { intervalMs: TICK_MS }, async () => {
    await runTick({ db: app.db, jobs, localHour: config.SCHEDULE_LOCAL_HOUR, log: app.log })
  })
  consumeFeed(app.background, app.db, eligibilityWatch())
}, { name: 'schedules', dependencies: ['background', 'events', 'identity'] })
