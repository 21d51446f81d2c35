import { asc, and, eq, inArray, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { scimGroupMembers, scimGroups, scimUsers, trainees } from '../../db/schema/index.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import { updateTrainee } from '../trainees/trainees-service.ts'
import { inOtherGroupOfCohort, mappedRolesOf, type GroupRow } from './groups-repository.ts'
import { switchRole } from './role-switch.ts'
import type { PersonRole } from './user-mapping.ts'

/**
 * What membership of a mapped group does to people, in the transaction of the SCIM write or
 * mapping change that causes it, through the trainees' service and the one role switch:
 *
 * - cohort-mapped: a trainee who joins is placed in the cohort; one who leaves (removed, or the group
 *   deleted) is taken out of it if still there and no other group of theirs maps to it. Supervisors
 *   are unaffected (clinical supervision is a coordinator's assignment).
 * - role-mapped: a member whose role differs is switched; supervisor wins over trainee when their
 *   role-mapped groups disagree. Leaving changes nothing (a role is not taken back by omission).
 * - a mapping removed changes nobody; a mapping set applies to the current members at once.
 */
interface Member { id: string; traineeId: string | null; cohortId: string | null }

async function membersNamed(tx: Db, ids: string[]): Promise<Member[]> {
  if (ids.length === 0) return []
  return tx.select({ id: scimUsers.id, traineeId: scimUsers.traineeId, cohortId: trainees.cohortId }).from(scimUsers)
    .leftJoin(trainees, eq(trainees.id, scimUsers.traineeId))
    .where(inArray(scimUsers.id, ids)).orderBy(asc(scimUsers.id))
}

async function place(tx: Db, ctx: RequestContext, traineeId: string, cohortId: string | null) {
  await updateTrainee(tx, ctx, traineeId, { cohortId }, undefined)
}

/** The role the user's role-mapped groups give, if any: supervisor wins over trainee. */
export async function roleFromGroups(tx: Db, scimUserId: string): Promise<PersonRole | undefined> {
  const roles = await mappedRolesOf(tx, scimUserId)
  if (roles.includes('supervisor')) return 'supervisor'
  if (roles.includes('trainee')) return 'trainee'
  return undefined
}

/** A trainee newly made (by a role switch) goes to the cohort of a cohort-mapped group they are in, if any. */
async function placeByGroups(tx: Db, ctx: RequestContext, scimUserId: string) {
  const [user] = await tx.select({ traineeId: scimUsers.traineeId }).from(scimUsers).where(eq(scimUsers.id, scimUserId))
  if (!user?.traineeId) return
  const [group] = await tx.select({ cohortId: scimGroups.mappedCohortId }).from(scimGroupMembers)
    .innerJoin(scimGroups, eq(scimGroups.id, scimGroupMembers.groupId))
    .where(and(eq(scimGroupMembers.scimUserId, scimUserId), sql`${scimGroups.mappedCohortId} is not null`))
    .orderBy(asc(scimGroups.displayName), asc(scimGroups.id)).limit(1)
  if (group?.cohortId) await place(tx, ctx, user.traineeId, group.cohortId)
}

/** Switches the user to the role their groups give, when it differs. */
export async function applyGroupRole(tx: Db, ctx: RequestContext, scimUserId: string, cause: { by: 'scim_user' | 'scim_group'; id: string }) {
  const role = await roleFromGroups(tx, scimUserId)
  if (role === undefined) return
  if (await switchRole(tx, ctx, scimUserId, role, cause) && role === 'trainee') await placeByGroups(tx, ctx, scimUserId)
}

/** Members who joined the group (or all its members, when the group was just mapped). */
export async function applyJoined(tx: Db, ctx: RequestContext, group: GroupRow, scimUserIds: string[]): Promise<void> {
  if (group.mappedRole !== null) {
    for (const id of scimUserIds) await applyGroupRole(tx, ctx, id, { by: 'scim_group', id: group.id })
  }
  if (group.mappedCohortId !== null) {
    for (const m of await membersNamed(tx, scimUserIds)) {
      if (m.traineeId !== null && m.cohortId !== group.mappedCohortId) await place(tx, ctx, m.traineeId, group.mappedCohortId)
    }
  }
}

/** Members who left the group (removed, or the group deleted); their memberships are already gone. */
export async function applyLeft(tx: Db, ctx: RequestContext, group: GroupRow, scimUserIds: string[]): Promise<void> {
  if (group.mappedCohortId === null) return
  for (const m of await membersNamed(tx, scimUserIds)) {
    if (m.traineeId === null || m.cohortId !== group.mappedCohortId) continue
    if (await inOtherGroupOfCohort(tx, m.id, group.mappedCohortId, group.id)) continue
    await place(tx, ctx, m.traineeId, null)
  }
}
