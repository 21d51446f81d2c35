import type { Db } from '../../db/client.ts'
import { recordAudits, type AuditActor, type AuditEntry } from '../../db/audit.ts'

/**
 * Which reads leave an audit row, decided here for the API and the web pages alike: every read of
 * an observation that hands it out, whole or as an entry of a list (its date, supervisor, status),
 * and every report drawn from it, by any role. `via` says through what (list, report.pdf, web).
 * Counts and latest dates over many observations (a supervisor's trainee list) are not reads of one.
 */
export function observationRead(id: string, changes: Record<string, unknown> = {}): AuditEntry {
  return { action: 'observation.read', objectType: 'observation', objectId: id, changes }
}

/** In the transaction of the read itself, so the read and its rows go together. */
export function auditObservationReads(tx: Db, ctx: AuditActor, reads: { id: string; changes?: Record<string, unknown> }[]): Promise<void> {
  return recordAudits(tx, ctx, reads.map((r) => observationRead(r.id, r.changes)))
}
