import { eq } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { rubricVersions, rubrics } from '../../db/schema/index.ts'
import type { RubricDefinition } from '../rubrics/rubric-schemas.ts'

export interface PinnedCriterion {
  key: string
  title: string
  areaKey: string
  weight: number
  required: boolean
  allowNotObserved: boolean
  /** Level values this criterion describes (one descriptor each), in scale order. */
  levelValues: number[]
}

export interface PinnedArea {
  key: string
  title: string
  weight: number
  criteria: PinnedCriterion[]
}

/** A rubric version prepared for scoring: criteria indexed by key, defaults applied once. */
export interface PinnedRubric {
  id: string
  key: string
  version: number
  published: boolean
  areas: PinnedArea[]
  criteria: Map<string, PinnedCriterion>
  levelLabels: Map<number, string>
}

export function pinRubric(row: { id: string; key: string; version: number; published: boolean }, definition: RubricDefinition): PinnedRubric {
  const criteria = new Map<string, PinnedCriterion>()
  const areas = definition.areas.map((area) => ({
    key: area.key,
    title: area.title,
    weight: area.weight ?? 1,
    criteria: area.criteria.map((c) => {
      const criterion: PinnedCriterion = {
        key: c.key,
        title: c.title,
        areaKey: area.key,
        weight: c.weight ?? 1,
        required: c.required !== false,
        allowNotObserved: c.allowNotObserved === true,
        levelValues: c.levels.map((l) => l.value)
      }
      criteria.set(c.key, criterion)
      return criterion
    })
  }))
  return { ...row, areas, criteria, levelLabels: new Map(definition.scale.map((s) => [s.value, s.label])) }
}

/**
 * Published rubric versions are immutable (a trigger guards them), so once read they can be kept
 * for the life of the process; this takes the rubric off the hot path of every observation write.
 * Drafts may still change and are read afresh every time. Bounded so a long-lived process that sees
 * many versions does not grow without limit.
 */
const MAX_CACHED = 256
const cache = new Map<string, PinnedRubric>()

export async function getPinnedRubric(db: Db, rubricVersionId: string): Promise<PinnedRubric | undefined> {
  const cached = cache.get(rubricVersionId)
  if (cached) return cached
  const [row] = await db
    .select({ id: rubricVersions.id, key: rubrics.key, version: rubricVersions.version, status: rubricVersions.status, definition: rubricVersions.definition })
    .from(rubricVersions)
    .innerJoin(rubrics, eq(rubrics.id, rubricVersions.rubricId))
    .where(eq(rubricVersions.id, rubricVersionId))
  if (!row) return undefined
  const pinned = pinRubric({ id: row.id, key: row.key, version: row.version, published: row.status === 'published' }, row.definition)
  if (pinned.published) {
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!)
    cache.set(rubricVersionId, pinned)
  }
  return pinned
}

/** Several versions at once (a page of observations usually shares one or two). */
export async function getPinnedRubrics(db: Db, ids: Iterable<string>): Promise<Map<string, PinnedRubric>> {
  const out = new Map<string, PinnedRubric>()
  for (const id of new Set(ids)) {
    const rubric = await getPinnedRubric(db, id)
    if (rubric) out.set(id, rubric)
  }
  return out
}
