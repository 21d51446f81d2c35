import { eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { recordAudit } from '../../db/audit.ts'
import { accounts } from '../../db/schema/index.ts'
import { ERRORS } from '../../errors.ts'
import { checkIfMatch, etagOf } from '../../lib/etag.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import type { Me, UpdateMeInput } from './accounts-schemas.ts'
import { describeCaller } from './api-keys-service.ts'

/** The caller's own settings, and the account's revision (the ETag of GET and PATCH /v1/me). */
async function settingsOf(db: Db, accountId: string) {
  const [row] = await db.select({ id: accounts.id, revision: accounts.revision, emailReminders: accounts.emailReminders }).from(accounts).where(eq(accounts.id, accountId))
  if (!row) throw ERRORS.unauthorized()
  return row
}

export interface MeView { me: Me; etag: string }

export async function getMe(db: Db, ctx: RequestContext): Promise<MeView> {
  const [caller, settings] = await Promise.all([describeCaller(db, ctx), settingsOf(db, ctx.principal.accountId)])
  return { me: { ...caller, emailReminders: settings.emailReminders }, etag: etagOf(settings.id, settings.revision) }
}

/**
 * The caller changes their own settings (today: reminder emails). If-Match is honoured when sent,
 * as on accounts; the web settings page sends none (its form is the person's own, behind CSRF).
 */
export async function updateMySettings(db: Db, ctx: RequestContext, patch: UpdateMeInput, ifMatch: string | undefined): Promise<void> {
  await db.transaction(async (tx) => {
    const [current] = await tx.select({ id: accounts.id, revision: accounts.revision, emailReminders: accounts.emailReminders })
      .from(accounts).where(eq(accounts.id, ctx.principal.accountId)).for('update')
    if (!current) throw ERRORS.unauthorized()
    if (ifMatch !== undefined && ifMatch.trim() !== '') checkIfMatch(ifMatch, etagOf(current.id, current.revision))
    if (patch.emailReminders === undefined || patch.emailReminders === current.emailReminders) return
    await tx.update(accounts).set({ emailReminders: patch.emailReminders, revision: sql`${accounts.revision} + 1`, updatedAt: sql`now()` })
      .where(eq(accounts.id, current.id))
    await recordAudit(tx, ctx, { action: 'account.update', objectType: 'account', objectId: current.id, changes: { emailReminders: { from: current.emailReminders, to: patch.emailReminders } } })
  })
}

/** Whether the signed-in person gets reminder emails (the web settings page). */
export async function myEmailReminders(db: Db, accountId: string): Promise<boolean> {
  return (await settingsOf(db, accountId)).emailReminders
}
