import { and, desc, eq, ne } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { observations, supervisors } from '../../db/schema/index.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import { observationScope } from '../access/policy.ts'
import { auditObservationReads } from '../access/read-audit.ts'

/**
 * The submitted observations the caller may read, as a list of sessions (date, supervisor, setting,
 * status), newest first: the trainee's own list on the web pages. A list entry is a read of the
 * observation (see access/read-audit.ts), so each one is audited, as the API's list does.
 */
export async function listSubmittedSessions(db: Db, ctx: RequestContext) {
  return db.transaction(async (tx) => {
    const rows = await tx.select({
      id: observations.id, sessionDate: observations.sessionDate, status: observations.status, setting: observations.setting, supervisor: supervisors.name
    }).from(observations).innerJoin(supervisors, eq(supervisors.id, observations.supervisorId))
      .where(and(observationScope(ctx.principal), ne(observations.status, 'draft')))
      .orderBy(desc(observations.sessionDate), desc(observations.createdAt))
    await auditObservationReads(tx, ctx, rows.map((r) => ({ id: r.id, changes: { via: 'web.list' } })))
    return rows
  })
}
