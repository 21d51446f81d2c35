import { and, eq, inArray } from 'drizzle-orm'
import type { FastifyBaseLogger } from 'fastify'
import type { Db } from '../db/client.ts'
import { organizations, scheduleRuns } from '../db/schema/index.ts'
import { localDateTime } from './local-date.ts'
import { runOncePerPeriod } from './once.ts'

/**
 * The schedule's tick, every minute on every instance: each active organization's daily jobs run
 * once per local date, from SCHEDULE_LOCAL_HOUR of that date on in the organization's time zone.
 * "Once" is runOncePerPeriod's claim (a schedule_runs row written in the job's own transaction), so
 * however many instances tick, one does each job per organization and day. A day the service was
 * down is not run late: each job catches up by what it selects (reminders due on or before today
 * and not yet sent; eligibility against the state last told).
 */
export interface DailyJobContext {
  organizationId: string
  timeZone: string
  /** The organization's local date, `YYYY-MM-DD`: the period. */
  today: string
  now: Date
}

export interface DailyJob {
  /** Stable: it names the job's claims in schedule_runs. */
  name: string
  /** Runs in the claim's transaction; its statements are batched (DB_STATEMENT_TIMEOUT_MS bounds each). */
  run(tx: Db, job: DailyJobContext): Promise<void>
}

export interface TickOptions {
  db: Db
  jobs: readonly DailyJob[]
  /** SCHEDULE_LOCAL_HOUR. */
  localHour: number
  log?: FastifyBaseLogger
}

export interface TickResult {
  /** `job organizationId period` of each job this call ran. */
  ran: string[]
  failed: string[]
}

/** Claims looked up per statement (organizations × jobs). */
const LOOKUP_BATCH = 500

/** One tick at `now`: the jobs due and not yet run, each in its own transaction. */
export async function runTick(o: TickOptions, now: Date = new Date()): Promise<TickResult> {
  const result: TickResult = { ran: [], failed: [] }
  const active = await o.db.select({ id: organizations.id, timeZone: organizations.timeZone }).from(organizations)
    .where(eq(organizations.active, true)).orderBy(organizations.id)
  for (let i = 0; i < active.length; i += LOOKUP_BATCH) {
    const due = active.slice(i, i + LOOKUP_BATCH).flatMap((org) => {
      try {
        const local = localDateTime(org.timeZone, now)
        return local.hour >= o.localHour ? [{ ...org, today: local.date }] : []
      } catch (err) {
        // A zone this Node no longer knows (written before an ICU update, or by hand) holds up its organization only.
        result.failed.push(`* ${org.id} *`)
        o.log?.error({ err, organizationId: org.id, timeZone: org.timeZone }, 'organization time zone unknown: its daily jobs wait')
        return []
      }
    })
    if (due.length === 0) continue
    // Most ticks find every job of the day done: one read answers that, before any transaction.
    const done = new Set((await o.db.select({ job: scheduleRuns.job, scopeId: scheduleRuns.scopeId, period: scheduleRuns.period }).from(scheduleRuns)
      .where(and(inArray(scheduleRuns.scopeId, due.map((d) => d.id)), inArray(scheduleRuns.period, [...new Set(due.map((d) => d.today))]))))
      .map((r) => `${r.job} ${r.scopeId} ${r.period}`))
    for (const org of due) {
      for (const job of o.jobs) {
        const key = `${job.name} ${org.id} ${org.today}`
        if (done.has(key)) continue
        try {
          const context: DailyJobContext = { organizationId: org.id, timeZone: org.timeZone, today: org.today, now }
          if (await runOncePerPeriod(o.db, { job: job.name, scopeId: org.id, period: org.today }, (tx) => job.run(tx, context))) result.ran.push(key)
        } catch (err) {
          // One organization's failure neither stops the others nor takes the period: the next tick tries again.
          result.failed.push(key)
          o.log?.error({ err, job: job.name, organizationId: org.id, period: org.today }, 'scheduled job failed')
        }
      }
    }
  }
  return result
}
