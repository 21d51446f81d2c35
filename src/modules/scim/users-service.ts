import { eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { recordAudit } from '../../db/audit.ts'
import { organizations, scimUsers } from '../../db/schema/index.ts'
import { ERRORS, problem } from '../../errors.ts'
import { checkIfMatch } from '../../lib/etag.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import { scimUserScope } from '../access/policy.ts'
import { createSupervisor, setSupervisorActive, updateSupervisor } from '../supervisors/supervisors-service.ts'
import { createTrainee, setTraineeActive, updateTrainee } from '../trainees/trainees-service.ts'
import { whereOfFilter } from './scim-filter.ts'
import { pageOf, sortOrderOf } from './scim-list.ts'
import { applyPatch } from './scim-patch.ts'
import { URN, type ListQuery, type PatchOperation, type ScimResource } from './scim-schemas.ts'
import { createAccountFor, reactivateAccountOf, syncAccount } from './user-accounts.ts'
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

export const resourceOf = (row: UserRow, baseUrl: string): ScimResource => toUserResource(toView(row), baseUrl)

export function getUser(db: Db, ctx: RequestContext, id: string): Promise<UserRow> {
  return getUserRow(db, ctx, id)
}

export async function listUsersPage(db: Db, ctx: RequestContext, q: ListQuery) {
  const { startIndex, count } = pageOf(q)
  let sortBy
  if (q.sortBy !== undefined) {
    sortBy = userAttributes(q.sortBy.toLowerCase())?.sql
    if (!sortBy) throw problem('scim-invalid-value', `Sorting by "${q.sortBy}" is not supported.`)
  }
  const where = sql`${scimUserScope(ctx.principal)} and ${whereOfFilter(q.filter, userAttributes) ?? sql`true`}`
  const { rows, total } = await listUsers(db, { where, sortBy, descending: sortOrderOf(q.sortOrder) === 'desc', offset: startIndex - 1, limit: count })
  return { rows, total, startIndex }
}

async function checkUserNameFree(tx: Db, ctx: RequestContext, userName: string, exceptId?: string) {
  if (await userNameTaken(tx, organizationOf(ctx), userName, exceptId)) {
    throw problem('scim-user-name-taken', `Another user of this organization already has userName "${userName}" (userNames are compared ignoring case).`)
  }
}

const scimFields = (s: UserState) => ({
  userName: s.userName, externalId: s.externalId, givenName: s.givenName, familyName: s.familyName, formattedName: s.formattedName,
  displayName: s.displayName, department: s.department, managerId: s.managerId, managerDisplayName: s.managerDisplayName
})

export function createUser(db: Db, ctx: RequestContext, resource: ScimResource): Promise<UserRow> {
  const state = userStateOf(resource)
  return db.transaction(async (tx) => {
    const organizationId = organizationOf(ctx)
    await checkUserNameFree(tx, ctx, state.userName)
    const [org] = await tx.select({ role: organizations.provisioningRole }).from(organizations).where(eq(organizations.id, organizationId))
    const role = state.role ?? org?.role ?? 'trainee'
    const person = { organizationId, name: state.name, email: state.email, discipline: state.discipline }
    const personId = role === 'trainee'
      ? (await createTrainee(tx, ctx, { ...person, externalHrId: state.externalHrId })).id
      : (await createSupervisor(tx, ctx, { ...person, externalHrId: state.externalHrId })).id
    await createAccountFor(tx, ctx, role, personId, state.name, state.email)
    const values = { organizationId, ...scimFields(state), ...(role === 'trainee' ? { traineeId: personId } : { supervisorId: personId }) }
    const [row] = await tx.insert(scimUsers).values(values).returning({ id: scimUsers.id })
    await recordAudit(tx, ctx, { action: `${OBJECT}.create`, objectType: OBJECT, objectId: row!.id, changes: values })
    // Provisioned inactive (RFC 7643 `active: false`): the person exists but has no access.
    if (state.active === false) await setActive(tx, ctx, role, personId, false)
    return getUserRow(tx, ctx, row!.id)
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
  if (state.role !== undefined && state.role !== current.role) {
    throw problem('scim-mutability', `The user is a ${current.role}; the Rapport role does not change through SCIM (deactivate and provision anew).`)
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
