import type { Db } from '../../db/client.ts'
import { ERRORS } from '../../errors.ts'
import { listAuditEvents as selectAuditEvents, type AuditEventRow } from '../../db/audit.ts'
import type { AuditEvent, AuditEventFilter } from './audit-schemas.ts'

/** Audit pages are keyed by event id alone (see listAuditEvents), so the cursor carries just that. */
export const encodeAuditCursor = (id: number): string => Buffer.from(JSON.stringify(['audit', id])).toString('base64url')

export function decodeAuditCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined
  try {
    const [kind, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown]
    if (kind === 'audit' && typeof id === 'number' && Number.isSafeInteger(id) && id > 0) return id
  } catch {
    // fall through: any malformed cursor gets the same answer
  }
  throw ERRORS.validation([{ pointer: '/query/cursor', detail: 'is not a cursor this API returned' }])
}

const toAuditEvent = (row: AuditEventRow): AuditEvent => ({ ...row, occurredAt: row.occurredAt.toISOString() })

export async function listAuditEvents(db: Db, filter: AuditEventFilter): Promise<{ items: AuditEvent[]; nextCursor: string | null }> {
  const from = filter.from === undefined ? undefined : new Date(filter.from)
  const to = filter.to === undefined ? undefined : new Date(filter.to)
  if (from && to && to <= from) throw ERRORS.validation([{ pointer: '/query/to', detail: 'must be later than from' }])
  const rows = await selectAuditEvents(db, {
    objectType: filter.objectType,
    objectId: filter.objectId,
    actorAccountId: filter.actorAccountId,
    action: filter.action,
    from,
    to,
    beforeId: decodeAuditCursor(filter.cursor),
    limit: filter.limit
  })
  const items = rows.slice(0, filter.limit)
  const last = items[items.length - 1]
  return { items: items.map(toAuditEvent), nextCursor: rows.length > filter.limit && last ? encodeAuditCursor(last.id) : null }
}
