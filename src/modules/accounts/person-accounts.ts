import { eq, sql, type SQL } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { recordAudit, type AuditActor } from '../../db/audit.ts'
import { accounts, type supervisors, type trainees } from '../../db/schema/index.ts'
import { lockForWrite, setActiveAudited } from '../../lib/crud.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import { recordSupervisorEvents, recordTraineeEvents, verbOf } from '../../events/subjects.ts'
import { endSessionsOf } from '../identity/sessions.ts'

type PersonTable = typeof trainees | typeof supervisors

/**
 * Deactivating a trainee or supervisor record ends the person's access at once, on every instance:
 * in the same transaction their account is deactivated (audited as account.deactivate, naming the
 * person's deactivation as its cause) and its web sessions are deleted. Keys and sessions are looked
 * up with the account on every request, so nothing lingers. Reactivating the person leaves the
 * account inactive: an admin or the programme's coordinator reactivates it deliberately.
 */
export function setPersonActive(db: Db, ctx: RequestContext, o: {
  table: PersonTable; objectType: 'trainee' | 'supervisor'; scope: SQL | undefined; id: string; active: boolean; ifMatch: string | undefined
}) {
  return db.transaction(async (tx) => {
    const current = await lockForWrite(tx, o.table, o.id, o.scope, o.objectType, o.ifMatch)
    const row = await setActiveAudited(tx, ctx, { table: o.table, objectType: o.objectType, current, active: o.active })
    if (current.active && !o.active) await deactivateAccountOf(tx, ctx, o.objectType, current.id)
    if (row.active !== current.active) {
      if (o.objectType === 'trainee') await recordTraineeEvents(tx, ctx, verbOf(current, row), [row as typeof trainees.$inferSelect])
      else await recordSupervisorEvents(tx, ctx, verbOf(current, row), [row])
    }
    return row
  })
}

/** Also for writers of many people at once (the HR import), which audit the person's own change themselves. */
export async function deactivateAccountOf(tx: Db, ctx: AuditActor | null, kind: 'trainee' | 'supervisor', personId: string): Promise<void> {
  const link = kind === 'trainee' ? accounts.traineeId : accounts.supervisorId
  const [account] = await tx.select({ id: accounts.id, active: accounts.active }).from(accounts).where(eq(link, personId)).for('update')
  if (!account) return
  await endSessionsOf(tx, account.id)
  if (!account.active) return
  await tx.update(accounts).set({ active: false, revision: sql`${accounts.revision} + 1`, updatedAt: sql`now()` }).where(eq(accounts.id, account.id))
  await recordAudit(tx, ctx, {
    action: 'account.deactivate', objectType: 'account', objectId: account.id,
    changes: { active: { from: true, to: false }, cause: { action: `${kind}.deactivate`, objectType: kind, objectId: personId } }
  })
}
