import { and, asc, count, desc, eq, ne, sql, type SQL } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { accounts, scimUsers, supervisors, trainees } from '../../db/schema/index.ts'
import type { AttributeResolver, FilterAttribute } from './scim-filter.ts'
import { URN } from './scim-schemas.ts'
import type { PersonRole, UserView } from './user-mapping.ts'

/** A SCIM user is its scim_users row joined to its one person, trainee or supervisor. */
const person = <T>(t: SQL, s: SQL) => sql<T>`coalesce(${t}, ${s})`
const c = {
  name: person<string>(sql`${trainees.name}`, sql`${supervisors.name}`),
  email: person<string>(sql`${trainees.email}`, sql`${supervisors.email}`),
  discipline: person<string | null>(sql`${trainees.discipline}`, sql`${supervisors.discipline}`),
  externalHrId: person<string | null>(sql`${trainees.externalHrId}`, sql`${supervisors.externalHrId}`),
  active: person<boolean>(sql`${trainees.active}`, sql`${supervisors.active}`),
  personRevision: person<number>(sql`${trainees.revision}`, sql`${supervisors.revision}`),
  role: sql<PersonRole>`case when ${scimUsers.traineeId} is not null then 'trainee' else 'supervisor' end`,
  // An edit through /v1 changes the person, so it changes the SCIM resource's lastModified and version too.
  lastModified: sql<Date>`greatest(${scimUsers.updatedAt}, coalesce(${trainees.updatedAt}, ${supervisors.updatedAt}))`.mapWith(scimUsers.updatedAt)
}

const columns = {
  id: scimUsers.id, organizationId: scimUsers.organizationId, traineeId: scimUsers.traineeId, supervisorId: scimUsers.supervisorId,
  userName: scimUsers.userName, externalId: scimUsers.externalId, givenName: scimUsers.givenName, familyName: scimUsers.familyName,
  formattedName: scimUsers.formattedName, displayName: scimUsers.displayName, department: scimUsers.department, managerId: scimUsers.managerId,
  managerDisplayName: scimUsers.managerDisplayName, revision: scimUsers.revision, created: scimUsers.createdAt, ...c
}

export type UserRow = Awaited<ReturnType<typeof selectUsers>>[number]

const selectUsers = (db: Db, where: SQL | undefined) => db.select(columns).from(scimUsers)
  .leftJoin(trainees, eq(trainees.id, scimUsers.traineeId))
  .leftJoin(supervisors, eq(supervisors.id, scimUsers.supervisorId))
  .where(where)

export const versionOf = (row: { revision: number; personRevision: number }) => `W/"${row.revision}.${row.personRevision}"`

export function toView(row: UserRow): UserView {
  return { ...row, version: versionOf(row) }
}

const str = (s: SQL, caseExact = false): FilterAttribute => ({ sql: s, type: 'string', caseExact })
const ENTERPRISE = URN.enterprise.toLowerCase()
const RAPPORT = URN.rapport.toLowerCase()
const CORE = `${URN.user.toLowerCase()}:`

/** The attributes a User filter and sortBy may name (RFC 7643 §4.1, §4.3), as SQL over the join. */
const ATTRIBUTES: Record<string, FilterAttribute> = {
  'id': str(sql`${scimUsers.id}::text`, true),
  'username': str(sql`${scimUsers.userName}`),
  'externalid': str(sql`${scimUsers.externalId}`, true),
  'displayname': str(c.name),
  'name.givenname': str(sql`${scimUsers.givenName}`),
  'name.familyname': str(sql`${scimUsers.familyName}`),
  'name.formatted': str(sql`${scimUsers.formattedName}`),
  'emails': str(c.email),
  'emails.value': str(c.email),
  // Every user has exactly one email, the work one.
  'emails.type': str(sql`'work'`),
  'emails.primary': { sql: sql`true`, type: 'boolean', caseExact: true },
  'active': { sql: c.active, type: 'boolean', caseExact: true },
  'meta.created': { sql: sql`${scimUsers.createdAt}`, type: 'dateTime', caseExact: true },
  'meta.lastmodified': { sql: c.lastModified, type: 'dateTime', caseExact: true },
  [`${ENTERPRISE}:employeenumber`]: str(c.externalHrId, true),
  [`${ENTERPRISE}:department`]: str(sql`${scimUsers.department}`),
  [`${ENTERPRISE}:manager.value`]: str(sql`${scimUsers.managerId}`, true),
  [`${ENTERPRISE}:manager`]: str(sql`${scimUsers.managerId}`, true),
  [`${RAPPORT}:role`]: str(c.role),
  [`${RAPPORT}:discipline`]: str(c.discipline)
}

export const userAttributes: AttributeResolver = (path) => ATTRIBUTES[path.startsWith(CORE) ? path.slice(CORE.length) : path]

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export async function findUser(db: Db, id: string, scope: SQL): Promise<UserRow | undefined> {
  if (!UUID.test(id)) return undefined
  const [row] = await selectUsers(db, and(eq(scimUsers.id, id), scope))
  return row
}

/** Locks the scim_users row, so concurrent writes to one user queue up. */
export async function lockUser(db: Db, id: string, scope: SQL): Promise<boolean> {
  if (!UUID.test(id)) return false
  const rows = await db.select({ id: scimUsers.id }).from(scimUsers).where(and(eq(scimUsers.id, id), scope)).for('update')
  return rows.length > 0
}

export interface ListOptions { where: SQL | undefined; sortBy?: SQL | undefined; descending: boolean; offset: number; limit: number }

/** One page in a stable order (the sort key, then creation, then id) and the total of the filter. */
export async function listUsers(db: Db, o: ListOptions): Promise<{ rows: UserRow[]; total: number }> {
  const [{ total } = { total: 0 }] = await db.select({ total: count() }).from(scimUsers)
    .leftJoin(trainees, eq(trainees.id, scimUsers.traineeId))
    .leftJoin(supervisors, eq(supervisors.id, scimUsers.supervisorId))
    .where(o.where)
  if (o.limit === 0 || o.offset >= total) return { rows: [], total }
  const dir = o.descending ? desc : asc
  const order = [...(o.sortBy ? [o.descending ? sql`${o.sortBy} desc nulls last` : sql`${o.sortBy} asc nulls last`] : []),
    dir(scimUsers.createdAt), dir(scimUsers.id)]
  const rows = await selectUsers(db, o.where).orderBy(...order).offset(o.offset).limit(o.limit)
  return { rows, total }
}

export async function userNameTaken(db: Db, organizationId: string, userName: string, exceptId?: string): Promise<boolean> {
  const rows = await db.select({ id: scimUsers.id }).from(scimUsers).where(and(
    eq(scimUsers.organizationId, organizationId),
    sql`lower(${scimUsers.userName}) = lower(${userName})`,
    exceptId === undefined ? undefined : ne(scimUsers.id, exceptId)
  )).limit(1)
  return rows.length > 0
}

/** Sign-in emails are unique across all accounts (accounts_email_unique, case-insensitive). */
export async function accountWithEmail(db: Db, email: string): Promise<{ id: string; traineeId: string | null; supervisorId: string | null } | undefined> {
  const [row] = await db.select({ id: accounts.id, traineeId: accounts.traineeId, supervisorId: accounts.supervisorId })
    .from(accounts).where(sql`lower(${accounts.email}) = lower(${email})`)
  return row
}

export async function accountOf(db: Db, role: PersonRole, personId: string) {
  const [row] = await db.select({ id: accounts.id, name: accounts.name, email: accounts.email, active: accounts.active })
    .from(accounts).where(eq(role === 'trainee' ? accounts.traineeId : accounts.supervisorId, personId)).for('update')
  return row
}
