import { sql } from 'drizzle-orm'
import type { Background } from '../background/loops.ts'
import type { Db } from '../db/client.ts'
import { rows } from '../db/rows.ts'
import type { EventType } from './catalog.ts'

/** An event as internal consumers read it from the feed, in feed order. */
export interface FeedEvent {
  seq: number
  eventId: string
  type: EventType
  occurredAt: Date
  subjectType: string
  subjectId: string
  organizationIds: string[]
  programIds: string[]
  actorAccountId: string | null
  data: Record<string, unknown>
}

export interface FeedConsumer {
  /** Unique and stable: its position is stored under this name (event_consumers). */
  name: string
  /** The types it handles; others advance its position without a call. */
  types: readonly EventType[]
  /** Events per call at most (default 100). */
  batchSize?: number
  /** How far it may trail the feed: its runs are at least this far apart, so a burst is one batch (see LoopOptions.minGapMs). */
  minGapMs?: number
  /**
   * Handles a batch in `tx`; the consumer's position advances in the same transaction, so each
   * event is handled exactly once (a failure rolls both back and the batch comes again).
   */
  handle(tx: Db, events: FeedEvent[]): Promise<void>
}

/** Loop names: the relay nudges every `feed:` loop after numbering events. */
export const consumerLoop = (name: string) => `feed:${name}`

const POLL_MS = 1000

/** Consumers whose position row is known to exist, per database handle. */
const ensured = new WeakMap<Db, Set<string>>()

interface Row {
  seq: string | number; event_id: string; type: EventType; occurred_at: Date | string; subject_type: string; subject_id: string
  organization_ids: string[] | string; program_ids: string[] | string; actor_account_id: string | null; data: Record<string, unknown> | string
}

/** PGlite and node-postgres parse arrays and jsonb alike, but the caller is not left to guess. */
const uuidArray = (v: string[] | string): string[] => Array.isArray(v) ? v : v.replace(/^\{|\}$/g, '').split(',').filter(Boolean)

/**
 * Feeds `consumer` one batch of the feed after its position. The position row is locked FOR
 * UPDATE SKIP LOCKED, so one instance at a time runs a consumer (another finds no row and skips);
 * the handler's writes and the new position commit together. Answers whether a full batch was read.
 */
export async function consumeOnce(db: Db, consumer: FeedConsumer): Promise<boolean> {
  const limit = consumer.batchSize ?? 100
  const known = ensured.get(db) ?? new Set<string>()
  if (!known.has(consumer.name)) {
    await db.execute(sql`insert into event_consumers (name) values (${consumer.name}) on conflict do nothing`)
    ensured.set(db, known.add(consumer.name))
  }
  return db.transaction(async (tx) => {
    // The position, locked, and the batch after it in one round trip: no row back means another
    // instance holds the position; one row with a null seq, that nothing is new.
    const batch = await rows<Row | Record<keyof Row, null>>(tx, sql`
      with position as (select last_seq from event_consumers where name = ${consumer.name} for update skip locked)
      select e.* from position left join lateral (
        select feed_seq as seq, event_id, type, occurred_at, subject_type, subject_id, organization_ids, program_ids, actor_account_id, data
        from events where feed_seq > position.last_seq order by feed_seq limit ${limit}) e on true`)
    if (batch.length === 0 || batch[0]!.seq === null) return false
    const wanted = new Set<string>(consumer.types)
    const events: FeedEvent[] = (batch as Row[]).filter((r) => wanted.has(r.type)).map((r) => ({
      seq: Number(r.seq), eventId: r.event_id, type: r.type, occurredAt: new Date(r.occurred_at),
      subjectType: r.subject_type, subjectId: r.subject_id,
      organizationIds: uuidArray(r.organization_ids), programIds: uuidArray(r.program_ids),
      actorAccountId: r.actor_account_id, data: typeof r.data === 'string' ? JSON.parse(r.data) as Record<string, unknown> : r.data
    }))
    if (events.length > 0) await consumer.handle(tx, events)
    const last = batch[batch.length - 1]!.seq
    await tx.execute(sql`update event_consumers set last_seq = ${last}, updated_at = now() where name = ${consumer.name}`)
    return batch.length === limit
  })
}

/**
 * Registers a loop that feeds `consumer` the feed's events in order, nudged by the relay when it
 * numbers new events and otherwise polling every second (another instance's relay does not nudge
 * this one). `afterCommit` runs after a batch that reached the handler committed.
 */
export function consumeFeed(background: Background, db: Db, consumer: FeedConsumer, o: { afterCommit?: () => void } = {}): void {
  let handled = false
  const watched: FeedConsumer = { ...consumer, handle: async (tx, events) => { await consumer.handle(tx, events); handled = true } }
  background.register(consumerLoop(consumer.name), { intervalMs: POLL_MS, minGapMs: consumer.minGapMs }, async () => {
    handled = false
    const more = await consumeOnce(db, watched)
    // Only after the batch committed: work it queued (mail, deliveries) is then there to find.
    if (handled) o.afterCommit?.()
    return more ? 'more' : undefined
  })
}
