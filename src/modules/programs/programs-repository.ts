import { and, eq, inArray } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { rubricVersions, rubrics } from '../../db/schema/index.ts'

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
