import { sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { rows } from '../../db/rows.ts'
import { EVENT_TYPES } from '../../events/catalog.ts'
import { consumeOnce, type FeedConsumer } from '../../events/consumers.ts'
import { leaseEnd, PER_ENDPOINT_HELD, sendingOf, type Claimed, type Grant } from './delivery-worker.ts'

export const FAN_OUT = 'webhooks'

/** The batch's count, and one claimed delivery (or, when none was claimed, nulls) per row. */
type Row = { inserted: number } & { [K in keyof Claimed]: Claimed[K] | null }

/**
 * Turns a batch of feed events into deliveries, in the consumer's transaction. With a grant, up to
 * its room of them (at most PER_ENDPOINT_HELD of an endpoint, counting what the worker already
 * holds) are inserted already claimed for the local worker (`sending`, attempt 1, leased) and
 * answered with what sending them needs; the rest are `pending`, for any instance's claim.
 * Answers how many were inserted, and the claimed ones.
 */
export async function fanOut(tx: Db, eventIds: readonly string[], grant?: Pick<Grant, 'room' | 'busy'>): Promise<{ inserted: number; claimed: Claimed[] }> {
  const room = grant?.room ?? 0
  const found = await rows<Row>(tx, sql`
    with matched as (
      select e.id as endpoint_id, ev.event_id, ev.feed_seq,
        row_number() over (partition by e.id order by ev.feed_seq) + coalesce(busy.value::int, 0) as place
      from events ev join webhook_endpoints e
        on e.active and ev.type = any(e.event_types) and ev.occurred_at >= e.created_at
        and (e.organization_id is null or e.organization_id = any(ev.organization_ids))
      left join jsonb_each_text(${JSON.stringify(grant?.busy ?? {})}::jsonb) busy on busy.key::uuid = e.id
      where ev.event_id = any(${sql.param([...eventIds])}::uuid[])
    ), ranked as (
      select m.*, m.place <= ${PER_ENDPOINT_HELD} and row_number() over (partition by m.place <= ${PER_ENDPOINT_HELD} order by m.feed_seq, m.endpoint_id) <= ${room} as mine
      from matched m
    ), inserted as (
      insert into webhook_deliveries (endpoint_id, event_id, state, attempts, lease_until)
      select endpoint_id, event_id, case when mine then 'sending' else 'pending' end, case when mine then 1 else 0 end,
        case when mine then ${leaseEnd} end
      from ranked order by feed_seq, endpoint_id
      on conflict (endpoint_id, event_id) where not manual do nothing
      returning id, endpoint_id, event_id, state, attempts, retry_requested
    ), counted as (select count(*)::int as inserted from inserted)
    select counted.inserted, mine.* from counted left join (
      ${sendingOf(sql`(select * from inserted where state = 'sending')`)}
    ) mine on true`)
  const claimed = found.filter((r) => r.id !== null).map(({ inserted: _, ...c }) => c as Claimed)
  return { inserted: Number(found[0]?.inserted ?? 0), claimed }
}

/**
 * The webhook fan-out, a feed consumer: each event becomes one delivery per active endpoint that
 * subscribed to its type and whose scope covers it (an admin's endpoint: every event; an
 * integrator's: events of its organization). Only events from the endpoint's registration on: a
 * new endpoint is not sent the backlog (a replay asks for that). Unique per endpoint and event, so
 * a batch that comes again after a failure adds nothing twice.
 */
export function fanOutConsumer() {
  let grant: Grant | null = null
  let result = { inserted: 0, claimed: [] as Claimed[] }
  const consumer: FeedConsumer = {
    name: FAN_OUT,
    types: EVENT_TYPES,
    batchSize: 200,
    async handle(tx, events) {
      result = await fanOut(tx, events.map((e) => e.eventId), grant ?? undefined)
    }
  }
  return {
    consumer,
    /**
     * One batch. The worker's grant (if any) gets the deliveries claimed for it only once the
     * batch has committed, or its room back if it did not. Answers whether a full batch was read,
     * and how many deliveries were left pending (the worker is nudged for those, after the commit).
     */
    async once(db: Db, offered: Grant | null): Promise<{ more: boolean; pending: number }> {
      grant = offered
      result = { inserted: 0, claimed: [] }
      try {
        const more = await consumeOnce(db, consumer)
        offered?.accept(result.claimed)
        return { more, pending: result.inserted - result.claimed.length }
      } catch (err) {
        offered?.cancel()
        throw err
      } finally {
        grant = null
      }
    }
  }
}
