import type { Db } from '../../db/client.ts'
import { getRubricVersionById, type RubricVersionRecord } from '../rubrics/rubric-cache.ts'
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
 * The rubrics module caches published versions (they are immutable); the scoring view of each is
 * built once per cached record. Drafts come back as fresh records every time and are not memoised.
 */
const pinnedByRecord = new WeakMap<RubricVersionRecord, PinnedRubric>()

export async function getPinnedRubric(db: Db, rubricVersionId: string): Promise<PinnedRubric | undefined> {
  const record = await getRubricVersionById(db, rubricVersionId)
  if (!record) return undefined
  const memo = pinnedByRecord.get(record)
  if (memo) return memo
  const published = record.status === 'published'
  const pinned = pinRubric({ id: record.id, key: record.key, version: record.version, published }, record.definition)
  if (published) pinnedByRecord.set(record, pinned)
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
