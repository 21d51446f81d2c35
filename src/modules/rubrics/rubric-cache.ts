import type { Db } from '../../db/client.ts'
import type { RubricDefinition } from './rubric-schemas.ts'
import { findVersionById } from './rubrics-repository.ts'

/** What other modules need to know about a rubric version to score against it. */
export interface RubricVersionRecord {
  id: string
  rubricId: string
  /** The rubric's stable key. */
  key: string
  version: number
  status: 'draft' | 'published'
  title: string
  /** Deep-frozen: shared by every caller, never to be modified. */
  definition: RubricDefinition
}

/**
 * Published versions never change (a trigger guarantees it), so they are kept in memory after the
 * first read and the observation hot path does not query them again. Drafts are always read fresh.
 * Ids are random uuids, so one process serving several databases (tests) cannot mix them up.
 */
const MAX_ENTRIES = 500
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const published = new Map<string, RubricVersionRecord>()

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}

/** A rubric version by id, or undefined when there is none. `db` may be a transaction. */
export async function getRubricVersionById(db: Db, id: string): Promise<RubricVersionRecord | undefined> {
  const hit = published.get(id)
  if (hit) return hit
  if (!UUID.test(id)) return undefined
  const row = await findVersionById(db, id)
  if (!row) return undefined
  const record: RubricVersionRecord = deepFreeze({
    id: row.id, rubricId: row.rubricId, key: row.key, version: row.version, status: row.status, title: row.title, definition: row.definition
  })
  if (record.status === 'published') {
    // Oldest entry out first; rubric versions are few, so this bound is only a safety net.
    if (published.size >= MAX_ENTRIES) published.delete(published.keys().next().value!)
    published.set(id, record)
  }
  return record
}

/** For tests: forget everything cached. */
export function clearRubricVersionCache(): void {
  published.clear()
}
