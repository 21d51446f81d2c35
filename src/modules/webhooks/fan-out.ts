import { sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { rows } from '../../db/rows.ts'
import { EVENT_TYPES } from '../../events/catalog.ts'
import type { FeedConsumer } from '../../events/consumers.ts'

export const FAN_OUT = 'webhooks'

/** Turns a batch of feed events into deliveries, in the consumer's transaction; answers how many. */
export async function fanOut(tx: Db, eventIds: readonly string[]): Promise<number> {
  const inserted = await rows<{ id: string }>(tx, sql`
    insert into webhook_deliveries (endpoint_id, event_id)
    select e.id, ev.event_id from events ev join webhook_endpoints e
      on e.active and ev.type = any(e.event_types) and ev.occurred_at >= e.created_at
      and (e.organization_id is null or e.organization_id = any(ev.organization_ids))
    where ev.event_id = any(${sql.param([...eventIds])}::uuid[])
    order by ev.feed_seq, e.id
    on conflict (endpoint_id, event_id) where not manual do nothing
    returning id`)
  return inserted.length
}

/**
 * The webhook fan-out, a feed consumer: each event becomes one delivery per active endpoint that
 * subscribed to its type and whose scope covers it (an admin's endpoint: every event; an
 * integrator's: events of its organization). Only events from the endpoint's registration on: a
 * new endpoint is not sent the backlog (a replay asks for that). Unique per endpoint and event, so
 * a batch that comes again after a failure adds nothing twice. `queued()` tells, once the batch
 * has committed, whether deliveries were added (the worker is nudged then, not before the commit).
 */
export function fanOutConsumer(): { consumer: FeedConsumer; takeQueued: () => number } {
  let queued = 0
  const consumer: FeedConsumer = {
    name: FAN_OUT,
    types: EVENT_TYPES,
    batchSize: 200,
    async handle(tx, events) {
      queued += await fanOut(tx, events.map((e) => e.eventId))
    }
  }
  return { consumer, takeQueued: () => { const n = queued; queued = 0; return n } }
}
