import type { Db } from '../../db/client.ts'
import { auditEvents } from '../../db/schema/index.ts'
import type { RequestContext } from '../accounts/principal.ts'

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
export async function recordAudit(tx: Db, ctx: RequestContext | null, entry: AuditEntry): Promise<void> {
  await tx.insert(auditEvents).values({
    actorAccountId: ctx?.principal.accountId ?? null,
    requestId: ctx?.requestId ?? null,
    action: entry.action,
    objectType: entry.objectType,
    objectId: entry.objectId,
    changes: entry.changes ?? null
  })
}
