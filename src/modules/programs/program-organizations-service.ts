import type { Db } from '../../db/client.ts'
import { recordAudit } from '../../db/audit.ts'
import { organizations, programs } from '../../db/schema/index.ts'
import { ERRORS, problem } from '../../errors.ts'
import { getRow } from '../../lib/crud.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import { organizationScope, programScope } from '../access/policy.ts'
import { deleteLink, findServed, insertLink, listServed, lockLink, placedTrainees } from './program-organizations-repository.ts'
import type { ProgramOrganization } from './program-organizations-schemas.ts'

type LinkRow = NonNullable<Awaited<ReturnType<typeof findServed>>>
const toLink = (row: LinkRow): ProgramOrganization => ({ ...row, createdAt: row.createdAt.toISOString() })

/** The organizations a programme serves: admins and the programme's coordinators read them. */
export async function listProgramOrganizations(db: Db, ctx: RequestContext, programId: string): Promise<ProgramOrganization[]> {
  await getRow(db, programs, programId, programScope(ctx.principal), 'program')
  return (await listServed(db, programId)).map(toLink)
}

/** Idempotent: linking again changes nothing and writes no audit row. */
export function linkOrganization(db: Db, ctx: RequestContext, programId: string, organizationId: string): Promise<{ created: boolean; link: ProgramOrganization }> {
  return db.transaction(async (tx) => {
    await getRow(tx, programs, programId, programScope(ctx.principal), 'program')
    await getRow(tx, organizations, organizationId, organizationScope(ctx.principal), 'organization')
    const created = await insertLink(tx, programId, organizationId)
    if (created) {
      await recordAudit(tx, ctx, { action: 'program.organization_link', objectType: 'program', objectId: programId, changes: { organizationId } })
    }
    const link = await findServed(tx, programId, organizationId)
    if (!link) throw ERRORS.internal()
    return { created, link: toLink(link) }
  })
}

/**
 * Refused while active trainees of the organization are placed in the programme's cohorts (they
 * would sit where the rules no longer allow): the problem names them, to move or deactivate first.
 * Idempotent like the PUT: unlinking what is not linked changes nothing and writes no audit row.
 */
export function unlinkOrganization(db: Db, ctx: RequestContext, programId: string, organizationId: string): Promise<void> {
  return db.transaction(async (tx) => {
    await getRow(tx, programs, programId, programScope(ctx.principal), 'program')
    await getRow(tx, organizations, organizationId, organizationScope(ctx.principal), 'organization')
    if (!await lockLink(tx, programId, organizationId)) return
    const placed = await placedTrainees(tx, programId, organizationId)
    if (placed.length > 0) {
      const names = placed.slice(0, 10).map((t) => t.name).join(', ') + (placed.length > 10 ? `, and ${placed.length - 10} more` : '')
      throw problem('program-organization-in-use',
        `${placed.length} active trainee(s) of this organization are placed in the program's cohorts: ${names}. Move or deactivate them first.`,
        { extensions: { trainees: placed } })
    }
    await deleteLink(tx, programId, organizationId)
    await recordAudit(tx, ctx, { action: 'program.organization_unlink', objectType: 'program', objectId: programId, changes: { organizationId } })
  })
}
