import { and, asc, count, desc, eq, inArray, ne, sql, type SQL } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { scimGroupMembers, scimGroups, scimUsers, supervisors, trainees } from '../../db/schema/index.ts'
import type { AttributeResolver, FilterAttribute } from './scim-filter.ts'
import { URN } from './scim-schemas.ts'

/** SQL over scim_groups and their members (scim_group_members joined to the member's person for `display`). */
export type GroupRow = typeof scimGroups.$inferSelect
export interface MemberRow { groupId: string; scimUserId: string; display: string }

export const groupVersionOf = (row: { revision: number }) => `W/"${row.revision}"`

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
export const isUuid = (s: string) => UUID.test(s)

const str = (s: SQL, caseExact = false): FilterAttribute => ({ sql: s, type: 'string', caseExact })
const CORE = `${URN.group.toLowerCase()}:`

/** The attributes a Group filter and sortBy may name (RFC 7643 §4.2). */
const ATTRIBUTES: Record<string, FilterAttribute> = {
  'id': str(sql`${scimGroups.id}::text`, true),
  'displayname': str(sql`${scimGroups.displayName}`),
  'externalid': str(sql`${scimGroups.externalId}`, true),
  'meta.created': { sql: sql`${scimGroups.createdAt}`, type: 'dateTime', caseExact: true },
  'meta.lastmodified': { sql: sql`${scimGroups.updatedAt}`, type: 'dateTime', caseExact: true }
}

export const groupAttributes: AttributeResolver = (path) => ATTRIBUTES[path.startsWith(CORE) ? path.slice(CORE.length) : path]

export async function findGroup(db: Db, id: string, scope: SQL | undefined, { lock = false } = {}): Promise<GroupRow | undefined> {
  if (!isUuid(id)) return undefined
  const query = db.select().from(scimGroups).where(and(eq(scimGroups.id, id), scope))
  const [row] = lock ? await query.for('update') : await query
  return row
}

export interface GroupListOptions { where: SQL | undefined; sortBy?: SQL | undefined; descending: boolean; offset: number; limit: number }

/** One page in a stable order (the sort key, then creation, then id) and the total of the filter. */
export async function listGroups(db: Db, o: GroupListOptions): Promise<{ rows: GroupRow[]; total: number }> {
  const [{ total } = { total: 0 }] = await db.select({ total: count() }).from(scimGroups).where(o.where)
  if (o.limit === 0 || o.offset >= total) return { rows: [], total }
  const dir = o.descending ? desc : asc
  const order = [...(o.sortBy ? [o.descending ? sql`${o.sortBy} desc nulls last` : sql`${o.sortBy} asc nulls last`] : []),
    dir(scimGroups.createdAt), dir(scimGroups.id)]
  const rows = await db.select().from(scimGroups).where(o.where).orderBy(...order).offset(o.offset).limit(o.limit)
  return { rows, total }
}

/** The members of the groups, in the order they joined, with the person's name as `display`. */
export async function membersOf(db: Db, groupIds: string[]): Promise<MemberRow[]> {
  if (groupIds.length === 0) return []
  return db.select({
    groupId: scimGroupMembers.groupId, scimUserId: scimGroupMembers.scimUserId,
    display: sql<string>`coalesce(${trainees.name}, ${supervisors.name})`
  }).from(scimGroupMembers)
    .innerJoin(scimUsers, eq(scimUsers.id, scimGroupMembers.scimUserId))
    .leftJoin(trainees, eq(trainees.id, scimUsers.traineeId))
    .leftJoin(supervisors, eq(supervisors.id, scimUsers.supervisorId))
    .where(inArray(scimGroupMembers.groupId, groupIds))
    .orderBy(asc(scimGroupMembers.createdAt), asc(scimGroupMembers.scimUserId))
}

export async function memberCount(db: Db, groupId: string): Promise<number> {
  const [row] = await db.select({ n: count() }).from(scimGroupMembers).where(eq(scimGroupMembers.groupId, groupId))
  return row?.n ?? 0
}

/** The groups a SCIM user is in (RFC 7643 §4.1.2 `groups`), by user. */
export async function groupsOfUsers(db: Db, scimUserIds: string[]): Promise<Map<string, Array<{ id: string; displayName: string }>>> {
  const out = new Map<string, Array<{ id: string; displayName: string }>>()
  if (scimUserIds.length === 0) return out
  const rows = await db.select({ userId: scimGroupMembers.scimUserId, id: scimGroups.id, displayName: scimGroups.displayName })
    .from(scimGroupMembers).innerJoin(scimGroups, eq(scimGroups.id, scimGroupMembers.groupId))
    .where(inArray(scimGroupMembers.scimUserId, scimUserIds))
    .orderBy(asc(scimGroups.displayName), asc(scimGroups.id))
  for (const r of rows) out.set(r.userId, [...(out.get(r.userId) ?? []), { id: r.id, displayName: r.displayName }])
  return out
}

/** Of the ids, those naming a SCIM user of the organization. */
export async function usersOfOrganization(db: Db, organizationId: string, ids: string[]): Promise<Set<string>> {
  const wellFormed = ids.filter(isUuid)
  if (wellFormed.length === 0) return new Set()
  const rows = await db.select({ id: scimUsers.id }).from(scimUsers)
    .where(and(eq(scimUsers.organizationId, organizationId), inArray(scimUsers.id, wellFormed)))
  return new Set(rows.map((r) => r.id))
}

export async function displayNameTaken(db: Db, organizationId: string, displayName: string, exceptId?: string): Promise<boolean> {
  const rows = await db.select({ id: scimGroups.id }).from(scimGroups).where(and(
    eq(scimGroups.organizationId, organizationId),
    sql`lower(${scimGroups.displayName}) = lower(${displayName})`,
    exceptId === undefined ? undefined : ne(scimGroups.id, exceptId)
  )).limit(1)
  return rows.length > 0
}

/** The roles of the role-mapped groups the user is in. */
export async function mappedRolesOf(db: Db, scimUserId: string): Promise<string[]> {
  const rows = await db.select({ role: scimGroups.mappedRole }).from(scimGroupMembers)
    .innerJoin(scimGroups, eq(scimGroups.id, scimGroupMembers.groupId))
    .where(and(eq(scimGroupMembers.scimUserId, scimUserId), sql`${scimGroups.mappedRole} is not null`))
  return rows.map((r) => r.role!)
}

/** Whether another group the user is in is mapped to the cohort. */
export async function inOtherGroupOfCohort(db: Db, scimUserId: string, cohortId: string, exceptGroupId: string): Promise<boolean> {
  const rows = await db.select({ id: scimGroups.id }).from(scimGroupMembers)
    .innerJoin(scimGroups, eq(scimGroups.id, scimGroupMembers.groupId))
    .where(and(eq(scimGroupMembers.scimUserId, scimUserId), eq(scimGroups.mappedCohortId, cohortId), ne(scimGroups.id, exceptGroupId)))
    .limit(1)
  return rows.length > 0
}
