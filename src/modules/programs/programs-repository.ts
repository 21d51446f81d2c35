import { and, eq, exists, inArray, sql, type SQL } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { cohorts, programs, rubricVersions, rubrics, trainees } from '../../db/schema/index.ts'
import type { Principal } from '../../lib/request-context.ts'
import { currentAssignment } from '../access/access.ts'

const NOTHING = sql`false`

/**
 * Which programmes the caller may see: coordinators those they coordinate; a supervisor those of
 * the cohorts of trainees currently assigned to them; a trainee their own. Integrators none.
 */
export function programScope(p: Principal): SQL | undefined {
  switch (p.role) {
    case 'admin': return undefined
    case 'coordinator': return p.programIds.length === 0 ? NOTHING : inArray(programs.id, p.programIds)
    case 'supervisor': return p.supervisorId
      ? exists(sql`(select 1 from ${cohorts} inner join ${trainees} on ${eq(trainees.cohortId, cohorts.id)} where ${and(
          eq(cohorts.programId, programs.id), currentAssignment(p.supervisorId, trainees.id))})`)
      : NOTHING
    case 'trainee': return p.traineeId
      ? exists(sql`(select 1 from ${trainees} inner join ${cohorts} on ${eq(cohorts.id, trainees.cohortId)} where ${and(
          eq(trainees.id, p.traineeId), eq(cohorts.programId, programs.id))})`)
      : NOTHING
    case 'integrator': return NOTHING
  }
}

export interface RubricPin { id: string; key: string; version: number; status: 'draft' | 'published' }

export async function findRubricVersion(db: Db, key: string, version: number): Promise<{ rubricExists: boolean; pin?: RubricPin }> {
  const [rubric] = await db.select({ id: rubrics.id }).from(rubrics).where(eq(rubrics.key, key))
  if (!rubric) return { rubricExists: false }
  const [pin] = await db.select({ id: rubricVersions.id, version: rubricVersions.version, status: rubricVersions.status })
    .from(rubricVersions).where(and(eq(rubricVersions.rubricId, rubric.id), eq(rubricVersions.version, version)))
  return { rubricExists: true, pin: pin && { ...pin, key } }
}

/** Rubric key and version number for each of the given rubric version ids. */
export async function rubricPins(db: Db, versionIds: string[]): Promise<Map<string, { key: string; version: number }>> {
  if (versionIds.length === 0) return new Map()
  const rows = await db.select({ id: rubricVersions.id, key: rubrics.key, version: rubricVersions.version })
    .from(rubricVersions).innerJoin(rubrics, eq(rubrics.id, rubricVersions.rubricId))
    .where(inArray(rubricVersions.id, [...new Set(versionIds)]))
  return new Map(rows.map((r) => [r.id, { key: r.key, version: r.version }]))
}
