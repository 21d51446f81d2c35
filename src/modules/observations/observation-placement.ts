import { and, eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { preparedOnce } from '../../db/prepared.ts'
import { cohorts, programs, supervisors, trainees } from '../../db/schema/index.ts'
import type { Principal } from '../../lib/request-context.ts'
import { currentAssignment } from '../access/policy.ts'

/**
 * Where a new observation belongs, and whether it may be recorded: is the trainee visible to the
 * caller, where do they stand (cohort, programme, pinned rubric version), was the supervisor
 * assigned to them on the session date. The visibility is the caller's trainee scope of access.ts:
 * everything for an admin, a current assignment for a supervisor; no other role records observations.
 *
 * One select, used twice: on its own to explain a refusal field by field, and as the guard of the
 * insert (observation-insert.ts), so both always apply the same rules. Its values are placeholders:
 * the statements are built and prepared once per database, because building queries of this size
 * costs more CPU than running them.
 */
export type CreatorRole = 'admin' | 'supervisor'

export function creatorRole(p: Principal): CreatorRole {
  if (p.role !== 'admin' && p.role !== 'supervisor') throw new Error(`role ${p.role} does not record observations`)
  return p.role
}

/** Placeholder values of the placement (and of the guarded insert). */
export interface PlacementParams {
  traineeId: string
  supervisorId: string
  sessionDate: string
  /** The caller's own supervisor id (for a supervisor's visibility); null for an admin. */
  callerSupervisorId: string | null
}

export function placementSelect(db: Db, role: CreatorRole) {
  const supervisorId = sql.placeholder('supervisorId')
  const visible = role === 'admin' ? sql`true` : currentAssignment(sql.placeholder('callerSupervisorId'), trainees.id)
  return db
    .select({
      visible: sql<boolean>`${visible}`.as('visible'),
      traineeActive: sql<boolean>`${trainees.active}`.as('trainee_active'),
      organizationId: sql<string>`${trainees.organizationId}`.as('organization_id'),
      cohortId: sql<string | null>`${cohorts.id}`.as('cohort_id'),
      cohortActive: sql<boolean | null>`${cohorts.active}`.as('cohort_active'),
      programId: sql<string | null>`${programs.id}`.as('program_id'),
      programActive: sql<boolean | null>`${programs.active}`.as('program_active'),
      rubricVersionId: sql<string | null>`${programs.rubricVersionId}`.as('rubric_version_id'),
      assigned: sql<boolean>`${currentAssignment(supervisorId, trainees.id, sql`${sql.placeholder('sessionDate')}::date`)}`.as('assigned'),
      supervisorActive: sql<boolean>`exists (select 1 from ${supervisors} where ${and(eq(supervisors.id, supervisorId), eq(supervisors.active, true))})`.as('supervisor_active')
    })
    .from(trainees)
    .leftJoin(cohorts, eq(cohorts.id, trainees.cohortId))
    .leftJoin(programs, eq(programs.id, cohorts.programId))
    .where(eq(trainees.id, sql.placeholder('traineeId')))
}

export async function findPlacement(db: Db, p: Principal, params: PlacementParams) {
  const role = creatorRole(p)
  const name = `observation_placement_${role}`
  const query = preparedOnce(db, name, () => placementSelect(db, role).prepare(name))
  const [row] = await query.execute({ ...params })
  return row
}
