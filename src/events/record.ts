import type { Db } from '../db/client.ts'
import type { AuditActor } from '../db/audit.ts'
import { events } from '../db/schema/index.ts'
import { EVENT_CATALOG, type EventData, type EventType } from './catalog.ts'

/** One thing that happened, as its writer knows it; the subject's type comes from the catalog. */
export interface EventInput<T extends EventType = EventType> {
  type: T
  subjectId: string
  /** Who may read it: integrators of these organizations (and admins). */
  organizationIds: readonly string[]
  /** Coordinators of these programs (and admins). */
  programIds: readonly string[]
  data: EventData<T>
}

/**
 * Who did it, as the audit log has it. `eventsOff` is set only on an app built with
 * `events: false` (AppOptions; the events benchmark's baseline): its writes record no events.
 */
export type EventsActor = AuditActor & { eventsOff?: boolean }

/** Any event of the catalog, its data checked against its type. */
export type AnyEventInput = { [T in EventType]: EventInput<T> }[EventType]

/**
 * Writes events into the outbox. Call it with the same transaction as the change it reports (next
 * to its recordAudit), so there is no event without its change and no change without its event.
 * The relay numbers the rows for the feed once they have committed.
 */
export async function recordEvents(tx: Db, ctx: EventsActor | null, entries: readonly AnyEventInput[]): Promise<void> {
  if (entries.length === 0 || ctx?.eventsOff) return
  await tx.insert(events).values(entries.map((e) => ({
    type: e.type,
    subjectType: EVENT_CATALOG[e.type].subject,
    subjectId: e.subjectId,
    organizationIds: [...new Set(e.organizationIds)],
    programIds: [...new Set(e.programIds)],
    actorAccountId: ctx?.principal.accountId ?? null,
    requestId: ctx?.requestId ?? null,
    data: e.data as Record<string, unknown>
  })))
}
