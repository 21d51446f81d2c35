import { and, count, eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { recordAudit } from '../../db/audit.ts'
import { cohorts, scimGroupMembers, scimGroups } from '../../db/schema/index.ts'
import { ERRORS, problem } from '../../errors.ts'
import { findRow, requireReference } from '../../lib/crud.ts'
import { checkIfMatch, etagOf } from '../../lib/etag.ts'
import { decodeCursor, keyset, toPage } from '../../lib/pagination.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import { cohortScope, groupMappingRefusal, scimGroupMappingScope } from '../access/policy.ts'
import { programServes } from '../access/tenancy.ts'
import { applyJoined } from './group-effects.ts'
import type { GroupMapping, ScimGroupListFilter } from './group-mappings-schemas.ts'
import { findGroup, type GroupRow } from './groups-repository.ts'

/**
 * /v1/scim-groups: who maps a SCIM group to a role or a cohort, and what that does at once to its
 * current members (group-effects.ts), in one transaction. Unmapping changes nobody.
 */
const OBJECT = 'scim_group'

export type MappedGroup = GroupRow & { memberCount: number }

export const groupEtag = (g: GroupRow) => etagOf(g.id, g.revision)

export function toMappedGroupDto(g: MappedGroup) {
  return {
    id: g.id, organizationId: g.organizationId, displayName: g.displayName, externalId: g.externalId, memberCount: g.memberCount,
    mapping: { role: g.mappedRole as 'trainee' | 'supervisor' | null, cohortId: g.mappedCohortId },
    createdAt: g.createdAt.toISOString(), updatedAt: g.updatedAt.toISOString()
  }
}

const memberCount = sql<number>`(select count(*)::int from ${scimGroupMembers} where ${scimGroupMembers.groupId} = ${scimGroups.id})`

export async function listMappedGroups(db: Db, ctx: RequestContext, q: ScimGroupListFilter) {
  const { where, orderBy } = keyset(scimGroups.createdAt, scimGroups.id, decodeCursor(q.cursor))
  const rows = await db.select({ group: scimGroups, memberCount }).from(scimGroups)
    .where(and(scimGroupMappingScope(ctx.principal), q.organizationId === undefined ? undefined : eq(scimGroups.organizationId, q.organizationId), where))
    .orderBy(...orderBy).limit(q.limit + 1)
  return toPage(rows.map((r) => ({ ...r.group, memberCount: r.memberCount })), q.limit)
}

export async function getMappedGroup(db: Db, ctx: RequestContext, id: string, o: { lock?: boolean } = {}): Promise<MappedGroup> {
  const group = await findGroup(db, id, scimGroupMappingScope(ctx.principal), o)
  if (!group) throw ERRORS.notFound('SCIM group', id)
  const [row] = await db.select({ n: count() }).from(scimGroupMembers).where(eq(scimGroupMembers.groupId, id))
  return { ...group, memberCount: row?.n ?? 0 }
}

function refuse(ctx: RequestContext, what: { role?: string | undefined }) {
  const who = groupMappingRefusal(ctx.principal, what)
  if (who === undefined) return
  throw problem('role-not-allowed', what.role !== undefined
    ? `Mapping a group to a role needs the ${who} role; coordinators map groups to cohorts of their programmes.`
    : `Mapping a group needs the ${who} role.`)
}

/** A cohort the caller may see (a coordinator: of their programmes), active, of a programme serving the group's organization. */
async function checkCohort(tx: Db, ctx: RequestContext, group: GroupRow, cohortId: string) {
  const cohort = await requireReference(tx, cohorts, cohortId, cohortScope(ctx.principal), '/cohortId', 'cohort')
  if (!await programServes(tx, cohort.programId, group.organizationId)) {
    throw problem('organization-not-served', 'The cohort\'s program does not serve the group\'s organization; an admin links them first.', {
      errors: [{ pointer: '/cohortId', detail: `program of cohort ${cohortId} does not serve organization ${group.organizationId}` }]
    })
  }
}

/** The mapping in place is one the caller could have made: a role's is an admin's; a cohort's a coordinator of that cohort's programme. */
async function checkMayChange(tx: Db, ctx: RequestContext, current: MappedGroup) {
  refuse(ctx, { role: current.mappedRole ?? undefined })
  if (current.mappedCohortId === null || ctx.principal.role !== 'coordinator') return
  if (await findRow(tx, cohorts, current.mappedCohortId, cohortScope(ctx.principal))) return
  throw ERRORS.forbidden('The group is mapped to a cohort of a programme you do not run; an admin or a coordinator of that programme changes it.')
}

async function writeMapping(tx: Db, ctx: RequestContext, current: MappedGroup, role: string | null, cohortId: string | null, action: string) {
  const changes: Record<string, { from: unknown; to: unknown }> = {}
  if (current.mappedRole !== role) changes.role = { from: current.mappedRole, to: role }
  if (current.mappedCohortId !== cohortId) changes.cohortId = { from: current.mappedCohortId, to: cohortId }
  if (Object.keys(changes).length === 0) return current
  const [row] = await tx.update(scimGroups).set({ mappedRole: role, mappedCohortId: cohortId, revision: sql`${scimGroups.revision} + 1`, updatedAt: sql`now()` })
    .where(eq(scimGroups.id, current.id)).returning()
  await recordAudit(tx, ctx, { action: `${OBJECT}.${action}`, objectType: OBJECT, objectId: current.id, changes })
  return { ...row!, memberCount: current.memberCount }
}

async function lockForMapping(tx: Db, ctx: RequestContext, id: string, ifMatch: string | undefined) {
  const current = await getMappedGroup(tx, ctx, id, { lock: true })
  if (ifMatch !== undefined && ifMatch.trim() !== '') checkIfMatch(ifMatch, groupEtag(current))
  return current
}

/** PUT /v1/scim-groups/{id}/mapping: the new mapping applies to every current member at once. */
export function setGroupMapping(db: Db, ctx: RequestContext, id: string, body: GroupMapping, ifMatch: string | undefined): Promise<MappedGroup> {
  return db.transaction(async (tx) => {
    const current = await lockForMapping(tx, ctx, id, ifMatch)
    if ((body.role === undefined) === (body.cohortId === undefined)) {
      throw problem('group-mapping-one-of', 'A group maps to one role or one cohort: send either "role" or "cohortId".', {
        errors: [{ pointer: '', detail: 'exactly one of role, cohortId' }]
      })
    }
    refuse(ctx, { role: body.role })
    await checkMayChange(tx, ctx, current)
    if (body.cohortId !== undefined) await checkCohort(tx, ctx, current, body.cohortId.toLowerCase())
    const mapped = await writeMapping(tx, ctx, current, body.role ?? null, body.cohortId?.toLowerCase() ?? null, 'map')
    if (mapped !== current) {
      const members = await tx.select({ id: scimGroupMembers.scimUserId }).from(scimGroupMembers).where(eq(scimGroupMembers.groupId, id))
      await applyJoined(tx, ctx, mapped, members.map((m) => m.id))
    }
    return getMappedGroup(tx, ctx, id)
  })
}

/** DELETE /v1/scim-groups/{id}/mapping: the group grants nothing from now on; nobody changes. */
export function removeGroupMapping(db: Db, ctx: RequestContext, id: string, ifMatch: string | undefined): Promise<MappedGroup> {
  return db.transaction(async (tx) => {
    const current = await lockForMapping(tx, ctx, id, ifMatch)
    await checkMayChange(tx, ctx, current)
    return writeMapping(tx, ctx, current, null, null, 'unmap')
  })
}
