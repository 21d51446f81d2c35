import { sql } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { rows } from '../db/rows.ts'

/** The advisory lock only one relay holds at a time, across every instance. */
const RELAY_LOCK = sql`hashtext('rapport.events.relay')`

/** Events numbered per relay transaction at most. */
export const RELAY_BATCH = 1000

/**
 * Numbers committed, unnumbered events for the feed, in id order, and answers how many. One relay
 * at a time (a transaction-scoped advisory lock; another instance's round is skipped, not waited
 * for). Its UPDATE's snapshot is taken after the lock, so it sees every event committed before,
 * and the previous relay's numbers; since relays commit one after another, each round's numbers
 * are above every earlier round's. A reader at cursor n therefore never later finds an event
 * numbered n or below: an event whose transaction commits late is simply numbered late. Gaps (a
 * rolled-back relay's numbers) are harmless: a cursor means "after n", not "the next integer".
 */
export async function relayOnce(db: Db, batch = RELAY_BATCH): Promise<number> {
  return db.transaction(async (tx) => {
    const [lock] = await rows<{ ok: boolean }>(tx, sql`select pg_try_advisory_xact_lock(${RELAY_LOCK}) as ok`)
    if (!lock?.ok) return 0
    const numbered = await rows<{ id: string }>(tx, sql`
      with next as (
        select id, nextval('events_feed_seq') as seq
        from (select id from events where feed_seq is null order by id limit ${batch} for update) pending
      )
      update events e set feed_seq = next.seq from next where e.id = next.id
      returning e.id`)
    return numbered.length
  })
}
