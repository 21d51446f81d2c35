import { eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { recordAudit } from '../../db/audit.ts'
import { accounts } from '../../db/schema/index.ts'
import { problem } from '../../errors.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import { insertAccount } from '../accounts/accounts-repository.ts'
import { accountOf, accountWithEmail } from './users-repository.ts'
import type { PersonRole } from './user-mapping.ts'

/**
 * The sign-in account of a provisioned person: the work email, no password, so it is ready for an
 * invitation or single sign-on. Emails sign in, so one address is one account across Rapport.
 */
export async function checkEmailFree(tx: Db, email: string, own?: { role: PersonRole; personId: string }): Promise<void> {
  refuseHeldEmail(email, await accountWithEmail(tx, email), own)
}

/** checkEmailFree's verdict on the account the caller looked up itself (one statement doing several checks). */
export function refuseHeldEmail(email: string, holder: { traineeId: string | null; supervisorId: string | null } | undefined, own?: { role: PersonRole; personId: string }): void {
  if (!holder) return
  if (own && (own.role === 'trainee' ? holder.traineeId : holder.supervisorId) === own.personId) return
  throw problem('scim-email-taken', `The email ${email} already signs in to another Rapport account; each person signs in with their own address.`)
}

export async function createAccountFor(tx: Db, ctx: RequestContext, role: PersonRole, personId: string, name: string, email: string): Promise<void> {
  await checkEmailFree(tx, email)
  const values = { role, name, email, ...(role === 'trainee' ? { traineeId: personId } : { supervisorId: personId }) }
  const id = await insertAccount(tx, values)
  await recordAudit(tx, ctx, { action: 'account.create', objectType: 'account', objectId: id, changes: values })
}

/** Keeps the account's name and email those of the person; audited as an account update. */
export async function syncAccount(tx: Db, ctx: RequestContext, role: PersonRole, personId: string, name: string, email: string): Promise<void> {
  const account = await accountOf(tx, role, personId)
  if (!account) return createAccountFor(tx, ctx, role, personId, name, email)
  const changes: Record<string, { from: unknown; to: unknown }> = {}
  if (account.name !== name) changes.name = { from: account.name, to: name }
  if (account.email !== email) {
    await checkEmailFree(tx, email, { role, personId })
    changes.email = { from: account.email, to: email }
  }
  if (Object.keys(changes).length === 0) return
  await tx.update(accounts).set({ name, email, revision: sql`${accounts.revision} + 1`, updatedAt: sql`now()` }).where(eq(accounts.id, account.id))
  await recordAudit(tx, ctx, { action: 'account.update', objectType: 'account', objectId: account.id, changes })
}

/**
 * `active: true` from the identity provider restores access: the account that the person's
 * deactivation ended is reactivated with them (the IdP decides who may sign in).
 */
export async function reactivateAccountOf(tx: Db, ctx: RequestContext, role: PersonRole, personId: string): Promise<void> {
  const account = await accountOf(tx, role, personId)
  if (!account || account.active) return
  await tx.update(accounts).set({ active: true, revision: sql`${accounts.revision} + 1`, updatedAt: sql`now()` }).where(eq(accounts.id, account.id))
  await recordAudit(tx, ctx, {
    action: 'account.reactivate', objectType: 'account', objectId: account.id,
    changes: { active: { from: false, to: true }, cause: { action: `${role}.reactivate`, objectType: role, objectId: personId } }
  })
}
