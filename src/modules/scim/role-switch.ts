import { and, eq, isNull, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { recordAudit } from '../../db/audit.ts'
import { accounts, apiKeys, scimUsers, supervisors, trainees } from '../../db/schema/index.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import { endSessionsOf } from '../identity/sessions.ts'
import { createSupervisor, setSupervisorActive, updateSupervisor } from '../supervisors/supervisors-service.ts'
import { createTrainee, setTraineeActive, updateTrainee } from '../trainees/trainees-service.ts'
import type { PersonRole } from './user-mapping.ts'

/**
 * A provisioned person changes role (trainee ↔ supervisor): the one way it happens, for the Rapport
 * extension's `role` and for role-mapped groups alike. Trainee and supervisor are different records
 * (observations, cohorts and assignments hang on them), so a new record of the new role is made with
 * the same name, email, discipline and HR id; the SCIM user and the sign-in account move to it; the
 * old record is deactivated, its history kept. The account's web sessions end and its API keys are
 * revoked (they were issued to the old role). Everything is audited, in the caller's transaction.
 */
export interface SwitchCause { by: 'scim_user' | 'scim_group'; id: string }

export async function switchRole(tx: Db, ctx: RequestContext, scimUserId: string, to: PersonRole, cause: SwitchCause): Promise<boolean> {
  const [user] = await tx.select({ traineeId: scimUsers.traineeId, supervisorId: scimUsers.supervisorId }).from(scimUsers)
    .where(eq(scimUsers.id, scimUserId)).for('update')
  if (!user) return false
  const from: PersonRole = user.traineeId !== null ? 'trainee' : 'supervisor'
  if (from === to) return false
  const oldId = (user.traineeId ?? user.supervisorId)!
  const table = from === 'trainee' ? trainees : supervisors
  const [old] = await tx.select({
    organizationId: table.organizationId, name: table.name, email: table.email, discipline: table.discipline,
    externalHrId: table.externalHrId, active: table.active
  }).from(table).where(eq(table.id, oldId))
  if (!old) return false

  // The HR id follows the person: the old record gives it up, so a later switch back finds it free.
  if (old.externalHrId !== null) {
    if (from === 'trainee') await updateTrainee(tx, ctx, oldId, { externalHrId: null }, undefined)
    else await updateSupervisor(tx, ctx, oldId, { externalHrId: null }, undefined)
  }
  const person = { organizationId: old.organizationId, name: old.name, email: old.email, discipline: old.discipline, externalHrId: old.externalHrId }
  const newId = to === 'trainee' ? (await createTrainee(tx, ctx, person)).id : (await createSupervisor(tx, ctx, person)).id

  const link = from === 'trainee' ? accounts.traineeId : accounts.supervisorId
  const [account] = await tx.select({ id: accounts.id }).from(accounts).where(eq(link, oldId)).for('update')
  if (account) {
    await tx.update(accounts).set({
      role: to, traineeId: to === 'trainee' ? newId : null, supervisorId: to === 'supervisor' ? newId : null,
      revision: sql`${accounts.revision} + 1`, updatedAt: sql`now()`
    }).where(eq(accounts.id, account.id))
    const sessionsEnded = await endSessionsOf(tx, account.id)
    const revoked = await tx.update(apiKeys).set({ revokedAt: sql`now()` })
      .where(and(eq(apiKeys.accountId, account.id), isNull(apiKeys.revokedAt))).returning({ id: apiKeys.id })
    await recordAudit(tx, ctx, {
      action: 'account.update', objectType: 'account', objectId: account.id,
      changes: {
        role: { from, to }, [`${from}Id`]: { from: oldId, to: null }, [`${to}Id`]: { from: null, to: newId },
        sessionsEnded, apiKeysRevoked: revoked.map((k) => k.id), cause: { action: 'scim_user.switch_role', objectType: 'scim_user', objectId: scimUserId }
      }
    })
  }
  await tx.update(scimUsers).set({
    traineeId: to === 'trainee' ? newId : null, supervisorId: to === 'supervisor' ? newId : null,
    revision: sql`${scimUsers.revision} + 1`, updatedAt: sql`now()`
  }).where(eq(scimUsers.id, scimUserId))
  // The account moved first, so deactivating the old record ends nobody's access.
  if (from === 'trainee') await setTraineeActive(tx, ctx, oldId, false, undefined)
  else await setSupervisorActive(tx, ctx, oldId, false, undefined)
  if (!old.active) {
    if (to === 'trainee') await setTraineeActive(tx, ctx, newId, false, undefined)
    else await setSupervisorActive(tx, ctx, newId, false, undefined)
  }
  await recordAudit(tx, ctx, {
    action: 'scim_user.switch_role', objectType: 'scim_user', objectId: scimUserId,
    changes: { role: { from, to }, person: { from: oldId, to: newId }, cause: { objectType: cause.by, objectId: cause.id } }
  })
  return true
}
