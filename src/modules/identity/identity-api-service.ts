import { eq } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { accounts } from '../../db/schema/index.ts'
import { ERRORS, problem } from '../../errors.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import { changePassword } from './account-service.ts'
import type { ChangePassword } from './identity-schemas.ts'
import { endSessionsOf } from './sessions.ts'
import { removeTwoFactor } from './two-factor-service.ts'

export { signOutEverywhere } from './account-service.ts'

/** The account page's password change, as API problems: every web session ends (the API has none to keep). */
export async function changeOwnPassword(db: Db, ctx: RequestContext, body: ChangePassword): Promise<{ sessionsEnded: number }> {
  const [account] = await db.select({ hasPassword: accounts.passwordHash }).from(accounts).where(eq(accounts.id, ctx.principal.accountId))
  if (!account?.hasPassword) throw problem('account-has-no-password', 'This account has no web password to change (integrations use API keys; people set theirs from their invitation).')
  const result = await changePassword(db, ctx, { current: body.currentPassword, password: body.newPassword }, undefined, new Date())
  if (result.ok) return { sessionsEnded: result.sessionsEnded }
  if (result.field === 'wait') throw problem('too-many-attempts', result.message, { extensions: { retryAfter: result.seconds } })
  if (result.field === 'current') throw problem('current-password-wrong', result.message, { errors: [{ pointer: '/currentPassword', detail: result.message }] })
  throw problem('password-too-weak', result.message, { errors: [{ pointer: '/newPassword', detail: result.message }] })
}

/** An admin removes a person's second factor (lost phone and codes); their sessions end. */
export async function removeSecondFactor(db: Db, ctx: RequestContext, accountId: string): Promise<void> {
  const [account] = await db.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, accountId))
  if (!account) throw ERRORS.notFound('account', accountId)
  await db.transaction(async (tx) => {
    await removeTwoFactor(tx, ctx, accountId)
    await endSessionsOf(tx, accountId)
  })
}
