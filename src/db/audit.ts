import { and, desc, eq, gte, lt } from 'drizzle-orm'
import type { Db } from './client.ts'
import { auditEvents } from './schema/index.ts'
import type { Principal } from '../lib/request-context.ts'

/** Who did it: the request's principal (an API key or a web session), or null for the system itself. */
export interface AuditActor { principal: Pick<Principal, 'accountId'>; requestId: string | null }

export interface AuditEntry {
  action: string
  objectType: string
  objectId: string
  changes?: Record<string, unknown>
}

/**
 * Appends to the audit log. Call it with the same transaction as the write it describes, so the
 * write and its audit row commit or roll back together.
 */
export async function recordAudit(tx: Db, ctx: AuditActor | null, entry: AuditEntry): Promise<void> {
  await recordAudits(tx, ctx, [entry])
}

/** Several entries in one statement (a list of observations is audited read by read, in one round trip). */
export async function recordAudits(tx: Db, ctx: AuditActor | null, entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return
  await tx.insert(auditEvents).values(entries.map((entry) => ({
    actorAccountId: ctx?.principal.accountId ?? null,
    requestId: ctx?.requestId ?? null,
    action: entry.action,
    objectType: entry.objectType,
    objectId: entry.objectId,
    changes: entry.changes ?? null
  })))
}

export interface AuditQuery {
  objectType?: string
  objectId?: string
  actorAccountId?: string
  action?: string
  from?: Date
  to?: Date
  /** Only events older than this id (the previous page's last). */
  beforeId?: number
  limit: number
}

export type AuditEventRow = typeof auditEvents.$inferSelect

/**
 * Newest first by id. The id is the log's own order, unique and increasing, so it alone is a
 * stable keyset (timestamps are per transaction and can tie).
 */
export async function listAuditEvents(db: Db, q: AuditQuery): Promise<AuditEventRow[]> {
  return db.select().from(auditEvents)
    .where(and(
      q.objectType === undefined ? undefined : eq(auditEvents.objectType, q.objectType),
      q.objectId === undefined ? undefined : eq(auditEvents.objectId, q.objectId),
      q.actorAccountId === undefined ? undefined : eq(auditEvents.actorAccountId, q.actorAccountId),
      q.action === undefined ? undefined : eq(auditEvents.action, q.action),
      q.from === undefined ? undefined : gte(auditEvents.occurredAt, q.from),
      q.to === undefined ? undefined : lt(auditEvents.occurredAt, q.to),
      q.beforeId === undefined ? undefined : lt(auditEvents.id, q.beforeId)
    ))
    .orderBy(desc(auditEvents.id))
    .limit(q.limit + 1)
}
