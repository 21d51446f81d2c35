import { sql } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { rows } from '../db/rows.ts'

/**
 * The feed's horizon: retention's own row in event_consumers, as if it were the feed's last reader.
 * Its position is the highest feed position retention deleted, so a cursor below it may have
 * missed events (410 cursor-expired), and one at or above it missed none.
 */
export const RETENTION_HORIZON = 'events:retention'

export const RETENTION_JOB = 'events.retention'

/** Events per DELETE: each statement stays far below DB_STATEMENT_TIMEOUT_MS. */
const BATCH = 5000

/**
 * Deletes the events older than `days` (EVENTS_RETENTION_DAYS), their webhook deliveries and
 * attempts with them (foreign keys ON DELETE CASCADE), in batches, and raises the horizon to the
 * highest position deleted, in the caller's transaction. Answers how many events went.
 */
export async function deleteExpiredEvents(tx: Db, days: number): Promise<number> {
  await tx.execute(sql`insert into event_consumers (name) values (${RETENTION_HORIZON}) on conflict do nothing`)
  let total = 0
  for (;;) {
    const [gone] = await rows<{ n: number; top: string | number | null }>(tx, sql`
      with gone as (
        delete from events where id in (
          select id from events where occurred_at < now() - make_interval(days => ${days}) order by id limit ${BATCH})
        returning feed_seq
      )
      select count(*)::int as n, max(feed_seq) as top from gone`)
    const n = gone?.n ?? 0
    if (gone?.top != null) {
      await tx.execute(sql`update event_consumers set last_seq = greatest(last_seq, ${gone.top}), updated_at = now() where name = ${RETENTION_HORIZON}`)
    }
    total += n
    if (n < BATCH) return total
  }
}
