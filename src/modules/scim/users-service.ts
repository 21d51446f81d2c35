import { eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { recordAudit } from '../../db/audit.ts'
import { scimUsers } from '../../db/schema/index.ts'
import { ERRORS, problem } from '../../errors.ts'
import { checkReference } from '../../lib/crud.ts'
import { checkIfMatch } from '../../lib/etag.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import { scimUserScope } from '../access/policy.ts'
import { setSupervisorActive, updateSupervisor } from '../supervisors/supervisors-service.ts'
import { refuseHeldHrId } from '../trainees/hr-ids.ts'
import { setTraineeActive, updateTrainee } from '../trainees/trainees-service.ts'
import { listPlan } from './scim-list.ts'
import { groupsOfUsers } from './groups-repository.ts'
import { switchRole } from './role-switch.ts'
import { applyPatch } from './scim-patch.ts'
import { URN, type ListQuery, type PatchOperation, type ScimResource } from './scim-schemas.ts'
import { reactivateAccountOf, refuseHeldEmail, syncAccount } from './user-accounts.ts'
import { createChecks, insertUser } from './user-insert.ts'
import { toUserResource, USER_EXTENSIONS, userStateOf, type UserState } from './user-mapping.ts'
import { findUser, listUsers, lockUser, toView, userAttributes, userNameTaken, versionOf, type UserRow } from './users-repository.ts'

/**
 * SCIM Users over Rapport's people: each write goes through the trainees' or supervisors' own
 * service (tenancy, HR-id uniqueness, audit, deactivation ending access), in one transaction with
 * the scim_users row and the person's account, so a refused request writes nothing.
 */
const OBJECT = 'scim_user'

const organizationOf = (ctx: RequestContext): string => ctx.principal.organizationId!

async function getUserRow(db: Db, ctx: RequestContext, id: string): Promise<UserRow> {
  const row = await findUser(db, id, scimUserScope(ctx.principal))
  if (!row) throw ERRORS.notFound('User', id)
  return row
}

export type UserGroups = Map<string, Array<{ id: string; displayName: string }>>

/** `groups` (RFC 7643 §4.1.2, readOnly): the groups each user is in, read for a page at once. */
export const groupsOf = (db: Db, rows: UserRow[]): Promise<UserGroups> => groupsOfUsers(db, rows.map((r) => r.id))

export const resourceOf = (row: UserRow, baseUrl: string, groups?: UserGroups): ScimResource =>
  toUserResource(toView(row), baseUrl, { groups: groups?.get(row.id) ?? [] })

export function getUser(db: Db, ctx: RequestContext, id: string): Promise<UserRow> {
  return getUserRow(db, ctx, id)
}

export async function listUsersPage(db: Db, ctx: RequestContext, q: ListQuery) {
  const { startIndex, ...plan } = listPlan(q, userAttributes, scimUserScope(ctx.principal))
  const { rows, total } = await listUsers(db, plan)
  return { rows, total, startIndex }
}

async function checkUserNameFree(tx: Db, ctx: RequestContext, userName: string, exceptId?: string) {
  refuseTakenUserName(userName, await userNameTaken(tx, organizationOf(ctx), userName, exceptId))
}

function refuseTakenUserName(userName: string, taken: boolean) {
  if (taken) {
    throw problem('scim-user-name-taken', `Another user of this organization already has userName "${userName}" (userNames are compared ignoring case).`)
  }
}

const scimFields = (s: UserState) => ({
  userName: s.userName, externalId: s.externalId, givenName: s.givenName, familyName: s.familyName, formattedName: s.formattedName,
  displayName: s.displayName, department: s.department, managerId: s.managerId, managerDisplayName: s.managerDisplayName
})

/**
 * The checks of createTrainee or createSupervisor, createAccountFor and the userName, in their
 * order, on what one statement read; then one statement writes it all (user-insert.ts). A refused
 * create writes nothing.
 */
async function provision(db: Db, ctx: RequestContext, state: UserState): Promise<UserRow> {
  const organizationId = organizationOf(ctx)
  const checks = await createChecks(db, organizationId, state)
  refuseTakenUserName(state.userName, checks.userNameTaken)
  const role = state.role ?? checks.provisioningRole ?? 'trainee'
  checkReference(checks.provisioningRole === null ? undefined : { active: checks.organizationActive === true }, organizationId, '/organizationId', 'organization')
  if (state.externalHrId !== null) {
    await refuseHeldHrId(db, ctx.principal, { kind: role, externalHrId: state.externalHrId },
      (role === 'trainee' ? checks.traineeHrHolder : checks.supervisorHrHolder) ?? undefined)
  }
  refuseHeldEmail(state.email, checks.emailHolder)
  return insertUser(db, ctx, role, organizationId, state)
}

export function createUser(db: Db, ctx: RequestContext, resource: ScimResource): Promise<UserRow> {
  const state = userStateOf(resource)
  // The insert is one atomic statement, so it needs no transaction of its own.
  if (state.active !== false) return provision(db, ctx, state)
  // Provisioned inactive (RFC 7643 `active: false`): the person exists but has no access.
  return db.transaction(async (tx) => {
    const row = await provision(tx, ctx, state)
    await setActive(tx, ctx, row.role, (row.traineeId ?? row.supervisorId)!, false)
    return getUserRow(tx, ctx, row.id)
  })
}

async function setActive(tx: Db, ctx: RequestContext, role: 'trainee' | 'supervisor', personId: string, active: boolean) {
  if (role === 'trainee') await setTraineeActive(tx, ctx, personId, active, undefined)
  else await setSupervisorActive(tx, ctx, personId, active, undefined)
  if (active) await reactivateAccountOf(tx, ctx, role, personId)
}

/** The user locked, with a stale If-Match refused (412) before anything is written. */
async function lockCurrent(tx: Db, ctx: RequestContext, id: string, ifMatch: string | undefined): Promise<UserRow> {
  if (!await lockUser(tx, id, scimUserScope(ctx.principal))) throw ERRORS.notFound('User', id)
  const current = await getUserRow(tx, ctx, id)
  if (ifMatch !== undefined && ifMatch.trim() !== '') checkIfMatch(ifMatch, versionOf(current).replace(/^W\//, ''))
  return current
}

/** Makes the user what `state` says; `active` undefined leaves it as it is (a PUT without `active`). */
async function applyState(tx: Db, ctx: RequestContext, current: UserRow, state: UserState): Promise<UserRow> {

  // An explicit role in the request wins over what the user's groups give (role-switch.ts).
  if (state.role !== undefined && state.role !== current.role) {
    await switchRole(tx, ctx, current.id, state.role, { by: 'scim_user', id: current.id })
    current = await getUserRow(tx, ctx, current.id)
  }
  if (state.userName.toLowerCase() !== current.userName.toLowerCase()) await checkUserNameFree(tx, ctx, state.userName, current.id)
  const personId = (current.traineeId ?? current.supervisorId)!
  const person = { name: state.name, email: state.email, discipline: state.discipline, externalHrId: state.externalHrId }
  if (current.role === 'trainee') await updateTrainee(tx, ctx, personId, person, undefined)
  else await updateSupervisor(tx, ctx, personId, person, undefined)
  await syncAccount(tx, ctx, current.role, personId, state.name, state.email)
  if (state.active !== undefined && state.active !== current.active) await setActive(tx, ctx, current.role, personId, state.active)

  const fields = scimFields(state)
  const changes = Object.fromEntries(Object.entries(fields)
    .filter(([k, v]) => current[k as keyof typeof fields] !== v)
    .map(([k, v]) => [k, { from: current[k as keyof typeof fields], to: v }]))
  if (Object.keys(changes).length > 0) {
    await tx.update(scimUsers).set({ ...fields, revision: sql`${scimUsers.revision} + 1`, updatedAt: sql`now()` }).where(eq(scimUsers.id, current.id))
    await recordAudit(tx, ctx, { action: `${OBJECT}.update`, objectType: OBJECT, objectId: current.id, changes })
  }
  return getUserRow(tx, ctx, current.id)
}

/** RFC 7644 §3.5.1: the resource replaced as a whole; `id` and `meta` are the server's. */
export function replaceUser(db: Db, ctx: RequestContext, id: string, resource: ScimResource, ifMatch: string | undefined): Promise<UserRow> {
  const state = userStateOf(resource)
  return db.transaction(async (tx) => applyState(tx, ctx, await lockCurrent(tx, ctx, id, ifMatch), state))
}

/** RFC 7644 §3.5.2: the operations applied to the current resource, the result written at once, or nothing. */
export function patchUser(db: Db, ctx: RequestContext, id: string, operations: PatchOperation[], ifMatch: string | undefined, baseUrl: string): Promise<UserRow> {
  return db.transaction(async (tx) => {
    const current = await lockCurrent(tx, ctx, id, ifMatch)
    const next = applyPatch(toUserResource(toView(current), baseUrl, { forPatch: true }), operations, { core: URN.user, extensions: USER_EXTENSIONS })
    return applyState(tx, ctx, current, userStateOf(next))
  })
}

/** RFC 7644 §3.6: Rapport never deletes a person (observations and certificates stay); DELETE deactivates. */
export function deactivateUser(db: Db, ctx: RequestContext, id: string, ifMatch: string | undefined): Promise<void> {
  return db.transaction(async (tx) => {
    const current = await lockCurrent(tx, ctx, id, ifMatch)
    if (current.active) await setActive(tx, ctx, current.role, (current.traineeId ?? current.supervisorId)!, false)
  })
}
