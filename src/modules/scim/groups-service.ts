import { and, eq, inArray, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { recordAudit } from '../../db/audit.ts'
import { scimGroupMembers, scimGroups } from '../../db/schema/index.ts'
import { ERRORS, problem } from '../../errors.ts'
import { checkIfMatch } from '../../lib/etag.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import { scimGroupScope } from '../access/policy.ts'
import { applyJoined, applyLeft } from './group-effects.ts'
import { groupStateOf, toGroupResource, type GroupState } from './group-mapping.ts'
import {
  displayNameTaken, findGroup, groupAttributes, groupVersionOf, listGroups, membersOf, usersOfOrganization, type GroupRow, type MemberRow
} from './groups-repository.ts'
import { listPlan } from './scim-list.ts'
import { applyPatch } from './scim-patch.ts'
import { URN, type ListQuery, type PatchOperation, type ScimResource } from './scim-schemas.ts'

/**
 * SCIM Groups of the integrator's organization. A write changes the group, its members and what
 * membership does to people (group-effects.ts) in one transaction, so a refused request writes nothing.
 */
const OBJECT = 'scim_group'
const organizationOf = (ctx: RequestContext): string => ctx.principal.organizationId!

export interface GroupWithMembers { group: GroupRow; members: MemberRow[] }

export const groupResourceOf = (g: GroupWithMembers, baseUrl: string): ScimResource => toGroupResource(g.group, g.members, baseUrl)

async function withMembers(db: Db, group: GroupRow, loadMembers = true): Promise<GroupWithMembers> {
  return { group, members: loadMembers ? await membersOf(db, [group.id]) : [] }
}

export async function getGroup(db: Db, ctx: RequestContext, id: string, o: { members?: boolean } = {}): Promise<GroupWithMembers> {
  const group = await findGroup(db, id, scimGroupScope(ctx.principal))
  if (!group) throw ERRORS.notFound('Group', id)
  return withMembers(db, group, o.members ?? true)
}

/** `members` false when excludedAttributes names them (Entra asks so): no member is read. */
export async function listGroupsPage(db: Db, ctx: RequestContext, q: ListQuery, o: { members: boolean }) {
  const { startIndex, ...plan } = listPlan(q, groupAttributes, scimGroupScope(ctx.principal))
  const { rows, total } = await listGroups(db, plan)
  const members = o.members ? await membersOf(db, rows.map((r) => r.id)) : []
  return { groups: rows.map((group) => ({ group, members: members.filter((m) => m.groupId === group.id) })), total, startIndex }
}

async function checkDisplayNameFree(tx: Db, ctx: RequestContext, displayName: string, exceptId?: string) {
  if (await displayNameTaken(tx, organizationOf(ctx), displayName, exceptId)) {
    throw problem('scim-group-name-taken', `Another group of this organization is already named "${displayName}" (compared ignoring case).`)
  }
}

/** Writes the members `next` asks for; unknown ids are refused (400) before anything is written. */
async function writeMembers(tx: Db, ctx: RequestContext, group: GroupRow, current: string[], next: string[]) {
  const joined = next.filter((id) => !current.includes(id))
  const left = current.filter((id) => !next.includes(id))
  if (joined.length > 0) {
    const known = await usersOfOrganization(tx, organizationOf(ctx), joined)
    const unknown = joined.filter((id) => !known.has(id))
    if (unknown.length > 0) {
      throw problem('scim-unknown-member', `No User of this organization has the id ${unknown.slice(0, 5).map((u) => `"${u}"`).join(', ')}; members are Users of the organization.`)
    }
    await tx.insert(scimGroupMembers).values(joined.map((scimUserId) => ({ groupId: group.id, scimUserId })))
  }
  if (left.length > 0) {
    await tx.delete(scimGroupMembers).where(and(eq(scimGroupMembers.groupId, group.id), inArray(scimGroupMembers.scimUserId, left)))
  }
  if (joined.length > 0 || left.length > 0) {
    await recordAudit(tx, ctx, { action: `${OBJECT}.members`, objectType: OBJECT, objectId: group.id, changes: { added: joined, removed: left } })
  }
  await applyLeft(tx, ctx, group, left)
  await applyJoined(tx, ctx, group, joined)
  return joined.length > 0 || left.length > 0
}

export function createGroup(db: Db, ctx: RequestContext, resource: ScimResource): Promise<GroupWithMembers> {
  const state = groupStateOf(resource)
  return db.transaction(async (tx) => {
    await checkDisplayNameFree(tx, ctx, state.displayName)
    const values = { organizationId: organizationOf(ctx), displayName: state.displayName, externalId: state.externalId }
    const [group] = await tx.insert(scimGroups).values(values).returning()
    await recordAudit(tx, ctx, { action: `${OBJECT}.create`, objectType: OBJECT, objectId: group!.id, changes: values })
    await writeMembers(tx, ctx, group!, [], state.members)
    return withMembers(tx, group!)
  })
}

/** The group locked, with a stale If-Match refused (412) before anything is written. */
async function lockCurrent(tx: Db, ctx: RequestContext, id: string, ifMatch: string | undefined): Promise<GroupWithMembers> {
  const group = await findGroup(tx, id, scimGroupScope(ctx.principal), { lock: true })
  if (!group) throw ERRORS.notFound('Group', id)
  if (ifMatch !== undefined && ifMatch.trim() !== '') checkIfMatch(ifMatch, groupVersionOf(group).replace(/^W\//, ''))
  return withMembers(tx, group)
}

async function applyState(tx: Db, ctx: RequestContext, current: GroupWithMembers, state: GroupState): Promise<GroupWithMembers> {
  const g = current.group
  if (state.displayName.toLowerCase() !== g.displayName.toLowerCase()) await checkDisplayNameFree(tx, ctx, state.displayName, g.id)
  const membersChanged = await writeMembers(tx, ctx, g, current.members.map((m) => m.scimUserId), state.members)
  const changes: Record<string, { from: unknown; to: unknown }> = {}
  if (state.displayName !== g.displayName) changes.displayName = { from: g.displayName, to: state.displayName }
  if (state.externalId !== g.externalId) changes.externalId = { from: g.externalId, to: state.externalId }
  if (Object.keys(changes).length > 0 || membersChanged) {
    await tx.update(scimGroups).set({
      displayName: state.displayName, externalId: state.externalId, revision: sql`${scimGroups.revision} + 1`, updatedAt: sql`now()`
    }).where(eq(scimGroups.id, g.id))
  }
  if (Object.keys(changes).length > 0) await recordAudit(tx, ctx, { action: `${OBJECT}.update`, objectType: OBJECT, objectId: g.id, changes })
  return getGroup(tx, ctx, g.id)
}

/** RFC 7644 §3.5.1: the group replaced as a whole, members included. */
export function replaceGroup(db: Db, ctx: RequestContext, id: string, resource: ScimResource, ifMatch: string | undefined): Promise<GroupWithMembers> {
  const state = groupStateOf(resource)
  return db.transaction(async (tx) => applyState(tx, ctx, await lockCurrent(tx, ctx, id, ifMatch), state))
}

/** RFC 7644 §3.5.2: every operation applied to the current group, then written at once, or nothing. */
export function patchGroup(db: Db, ctx: RequestContext, id: string, operations: PatchOperation[], ifMatch: string | undefined, baseUrl: string) {
  return db.transaction(async (tx) => {
    const current = await lockCurrent(tx, ctx, id, ifMatch)
    const next = applyPatch(toGroupResource(current.group, current.members, baseUrl, { forPatch: true }), operations, { core: URN.group, extensions: [] })
    return applyState(tx, ctx, current, groupStateOf(next))
  })
}

/** RFC 7644 §3.6: the group and its memberships are deleted (never the people); leaving takes effect. */
export function deleteGroup(db: Db, ctx: RequestContext, id: string, ifMatch: string | undefined): Promise<void> {
  return db.transaction(async (tx) => {
    const { group, members } = await lockCurrent(tx, ctx, id, ifMatch)
    const left = members.map((m) => m.scimUserId)
    await tx.delete(scimGroupMembers).where(eq(scimGroupMembers.groupId, group.id))
    await applyLeft(tx, ctx, group, left)
    await tx.delete(scimGroups).where(eq(scimGroups.id, group.id))
    await recordAudit(tx, ctx, {
      action: `${OBJECT}.delete`, objectType: OBJECT, objectId: group.id,
      changes: { displayName: group.displayName, externalId: group.externalId, mappedRole: group.mappedRole, mappedCohortId: group.mappedCohortId, members: left }
    })
  })
}
