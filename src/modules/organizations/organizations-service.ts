import { sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { rows } from '../../db/rows.ts'
import { problem } from '../../errors.ts'
import { organizations } from '../../db/schema/index.ts'
import { activeFilter, getRow, insertAudited, lockForWrite, listRows, setActiveInScope, updateAudited } from '../../lib/crud.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import { isKnownTimeZone } from '../../schedules/local-date.ts'
import { organizationScope } from '../access/policy.ts'
import type { CreateOrganization, OrganizationListFilter, UpdateOrganization } from './organizations-schemas.ts'

const OBJECT = 'organization'

/**
 * A zone must be known to both sides: the service computes local dates with Intl, SQL with
 * `at time zone`. Each accepts names the other lacks (Intl takes some aliases Postgres does not).
 */
async function checkTimeZone(db: Db, timeZone: string | undefined): Promise<void> {
  if (timeZone === undefined) return
  const known = isKnownTimeZone(timeZone) &&
    (await rows<{ one: number }>(db, sql`select 1 as one from pg_timezone_names where name = ${timeZone}`)).length > 0
  if (!known) {
    throw problem('time-zone-unknown', `${JSON.stringify(timeZone)} is not a time zone name this service knows; use an IANA name such as Europe/London or UTC.`,
      { errors: [{ pointer: '/timeZone', detail: 'not an IANA time zone name known to the service and its database' }] })
  }
}

export function createOrganization(db: Db, ctx: RequestContext, body: CreateOrganization) {
  return db.transaction(async (tx) => {
    await checkTimeZone(tx, body.timeZone)
    return insertAudited(tx, ctx, organizations, OBJECT, body)
  })
}

export function getOrganization(db: Db, ctx: RequestContext, id: string) {
  return getRow(db, organizations, id, organizationScope(ctx.principal), OBJECT)
}

export function listOrganizations(db: Db, ctx: RequestContext, query: OrganizationListFilter) {
  return listRows(db, organizations, [organizationScope(ctx.principal), activeFilter(organizations, query.active)], query)
}

export function updateOrganization(db: Db, ctx: RequestContext, id: string, patch: UpdateOrganization, ifMatch: string | undefined) {
  return db.transaction(async (tx) => {
    const current = await lockForWrite(tx, organizations, id, organizationScope(ctx.principal), OBJECT, ifMatch)
    // Who an identity provider's people become is an admin's decision, not a programme coordinator's.
    if (patch.provisioningRole !== undefined && ctx.principal.role !== 'admin') {
      throw problem('role-not-allowed', 'Only an admin may change the provisioning role of an organization.')
    }
    await checkTimeZone(tx, patch.timeZone)
    return updateAudited(tx, ctx, { table: organizations, objectType: OBJECT, current, patch })
  })
}

export function setOrganizationActive(db: Db, ctx: RequestContext, id: string, active: boolean, ifMatch: string | undefined) {
  return setActiveInScope(db, ctx, { table: organizations, objectType: OBJECT, scope: organizationScope(ctx.principal), id, active, ifMatch })
}
