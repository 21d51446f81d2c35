import { sql } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { rows } from '../db/rows.ts'

/** The scope of a job that is not per organization (retention). */
export const GLOBAL_SCOPE = '00000000-0000-0000-0000-000000000000'

export interface Period {
  /** The job's stable name. */
  job: string
  /** The organization it runs for, or GLOBAL_SCOPE. */
  scopeId: string
  /** The period it runs for: the organization's local date (`YYYY-MM-DD`), for a daily job. */
  period: string
}

/**
 * Runs `work` once per period however many instances try: the claim (a schedule_runs row) and the
 * work's writes are one transaction. A second instance's claim waits on the unique key until the
 * first transaction ends: if it committed, the second finds the period taken and skips; if it
 * rolled back, the second does the work. So there is one set of effects and no lost period.
 * Answers whether this call did the work.
 */
export async function runOncePerPeriod(db: Db, period: Period, work: (tx: Db) => Promise<void>): Promise<boolean> {
  return db.transaction(async (tx) => {
    const claimed = await rows<{ job: string }>(tx, sql`
      insert into schedule_runs (job, scope_id, period) values (${period.job}, ${period.scopeId}, ${period.period})
      on conflict do nothing returning job`)
    if (claimed.length === 0) return false
    await work(tx)
    return true
  })
}

/** Whether the period already ran (for a cheap check before taking a transaction). */
export async function periodRan(db: Db, period: Period): Promise<boolean> {
  const found = await rows<{ job: string }>(db, sql`
    select job from schedule_runs where job = ${period.job} and scope_id = ${period.scopeId} and period = ${period.period}`)
  return found.length > 0
}
