import { and, eq } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { cohorts, programOrganizations } from '../../db/schema/index.ts'
import { problem } from '../../errors.ts'

/**
 * The wall between organizations, as rules on writes (the scopes in policy.ts are the same wall on
 * reads). They hold for every role, admins included: an admin who needs a new pairing links the
 * program to the organization first (PUT /v1/programs/{id}/organizations/{organizationId}).
 */

/** Holds the link (FOR SHARE) until the transaction ends, so it cannot be removed under a write that relies on it. */
export async function programServes(db: Db, programId: string, organizationId: string): Promise<boolean> {
  const [row] = await db.select({ programId: programOrganizations.programId }).from(programOrganizations)
    .where(and(eq(programOrganizations.programId, programId), eq(programOrganizations.organizationId, organizationId)))
    .for('share')
  return row !== undefined
}

async function programOf(db: Db, cohortId: string): Promise<string | undefined> {
  const [row] = await db.select({ programId: cohorts.programId }).from(cohorts).where(eq(cohorts.id, cohortId))
  return row?.programId
}

/**
 * A trainee may be placed in a cohort only if its organization is served by the cohort's program.
 * `pointer` names the field that changed (the cohort, or the organization when it is the one moving).
 */
export async function checkPlacementServed(db: Db, placement: { organizationId: string; cohortId: string | null }, pointer: string): Promise<void> {
  if (placement.cohortId === null) return
  const programId = await programOf(db, placement.cohortId)
  if (programId !== undefined && await programServes(db, programId, placement.organizationId)) return
  throw problem('organization-not-served', 'The cohort\'s program does not serve the trainee\'s organization; an admin links them first.', {
    errors: [{ pointer, detail: `program of cohort ${placement.cohortId} does not serve organization ${placement.organizationId}` }]
  })
}

/**
 * A supervisor may be assigned to a trainee only if the trainee's program serves the supervisor's
 * organization (a network of sites shares supervisors; unrelated employers do not). A trainee in no
 * cohort has no program yet: only a supervisor of its own organization.
 */
export async function checkSupervisorServed(
  db: Db, supervisor: { id: string; organizationId: string }, trainee: { organizationId: string; cohortId: string | null }
): Promise<void> {
  const programId = trainee.cohortId === null ? undefined : await programOf(db, trainee.cohortId)
  const allowed = programId === undefined
    ? supervisor.organizationId === trainee.organizationId
    : await programServes(db, programId, supervisor.organizationId)
  if (allowed) return
  throw problem('supervisor-not-served', programId === undefined
    ? 'The trainee is in no cohort, so only a supervisor of the trainee\'s own organization may be assigned.'
    : 'The trainee\'s program does not serve the supervisor\'s organization.', {
    errors: [{ pointer: '/supervisorId', detail: `supervisor ${supervisor.id} is of an organization the trainee's program does not serve` }]
  })
}
