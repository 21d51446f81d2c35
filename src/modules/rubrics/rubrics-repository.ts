import { and, desc, eq, inArray, max, notInArray, sql, type SQL } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { rubrics, rubricVersions } from '../../db/schema/index.ts'
import { keyset, type Cursor } from '../../lib/pagination.ts'
import type { RubricDefinition } from './rubric-schemas.ts'

export type RubricRow = typeof rubrics.$inferSelect
export type RubricVersionRow = typeof rubricVersions.$inferSelect

/** A version row together with its rubric's key, as the API and other modules use it. */
export type RubricVersionWithKey = RubricVersionRow & { key: string }

const versionColumns = {
  id: rubricVersions.id,
  rubricId: rubricVersions.rubricId,
  version: rubricVersions.version,
  status: rubricVersions.status,
  title: rubricVersions.title,
  definition: rubricVersions.definition,
  contentHash: rubricVersions.contentHash,
  createdAt: rubricVersions.createdAt,
  publishedAt: rubricVersions.publishedAt,
  createdBy: rubricVersions.createdBy,
  key: rubrics.key
}

export async function findRubricByKey(db: Db, key: string): Promise<RubricRow | undefined> {
  const [row] = await db.select().from(rubrics).where(eq(rubrics.key, key))
  return row
}

/** Versions of a rubric, newest first; `publishedOnly` hides drafts. */
export async function listVersions(db: Db, rubricId: string, publishedOnly: boolean): Promise<Omit<RubricVersionRow, 'definition'>[]> {
  return db.select({
    id: rubricVersions.id, rubricId: rubricVersions.rubricId, version: rubricVersions.version, status: rubricVersions.status,
    title: rubricVersions.title, contentHash: rubricVersions.contentHash, createdAt: rubricVersions.createdAt,
    publishedAt: rubricVersions.publishedAt, createdBy: rubricVersions.createdBy
  }).from(rubricVersions)
    .where(and(eq(rubricVersions.rubricId, rubricId), publishedOnly ? eq(rubricVersions.status, 'published') : undefined))
    .orderBy(desc(rubricVersions.version))
}

export async function findVersion(db: Db, rubricId: string, version: number | 'latest'): Promise<RubricVersionWithKey | undefined> {
  const which = version === 'latest'
    ? eq(rubricVersions.status, 'published')
    : eq(rubricVersions.version, version)
  const [row] = await db.select(versionColumns).from(rubricVersions)
    .innerJoin(rubrics, eq(rubrics.id, rubricVersions.rubricId))
    .where(and(eq(rubricVersions.rubricId, rubricId), which))
    .orderBy(desc(rubricVersions.version)).limit(1)
  return row
}

export async function findVersionById(db: Db, id: string): Promise<RubricVersionWithKey | undefined> {
  const [row] = await db.select(versionColumns).from(rubricVersions)
    .innerJoin(rubrics, eq(rubrics.id, rubricVersions.rubricId))
    .where(eq(rubricVersions.id, id))
  return row
}

export async function findDraft(db: Db, rubricId: string): Promise<RubricVersionRow | undefined> {
  const [row] = await db.select().from(rubricVersions)
    .where(and(eq(rubricVersions.rubricId, rubricId), eq(rubricVersions.status, 'draft')))
    .orderBy(desc(rubricVersions.version)).limit(1)
  return row
}

export async function maxVersion(db: Db, rubricId: string): Promise<number> {
  const [row] = await db.select({ n: max(rubricVersions.version) }).from(rubricVersions).where(eq(rubricVersions.rubricId, rubricId))
  return row?.n ?? 0
}

export async function insertRubric(db: Db, key: string): Promise<RubricRow> {
  const [row] = await db.insert(rubrics).values({ key }).returning()
  return row!
}

export interface NewVersion {
  rubricId: string
  version: number
  definition: RubricDefinition
  contentHash: string
  publish: boolean
  createdBy: string | null
}

export async function insertVersion(db: Db, v: NewVersion): Promise<RubricVersionRow> {
  const [row] = await db.insert(rubricVersions).values({
    rubricId: v.rubricId, version: v.version, title: v.definition.title, definition: v.definition, contentHash: v.contentHash,
    status: v.publish ? 'published' : 'draft', publishedAt: v.publish ? sql`now()` : null, createdBy: v.createdBy
  }).returning()
  return row!
}

/** Only a draft is touched; undefined when the row is no longer a draft (published meanwhile). */
export async function updateDraft(db: Db, id: string, definition: RubricDefinition, contentHash: string): Promise<RubricVersionRow | undefined> {
  const [row] = await db.update(rubricVersions).set({ definition, contentHash, title: definition.title })
    .where(and(eq(rubricVersions.id, id), eq(rubricVersions.status, 'draft'))).returning()
  return row
}

export async function publishDraft(db: Db, id: string): Promise<RubricVersionRow | undefined> {
  const [row] = await db.update(rubricVersions).set({ status: 'published', publishedAt: sql`now()` })
    .where(and(eq(rubricVersions.id, id), eq(rubricVersions.status, 'draft'))).returning()
  return row
}

export interface RubricListRow extends RubricRow {
  latestPublishedVersion: number | null
  draftVersion: number | null
  title: string
}

/**
 * One page of rubrics, newest first, each with its latest published version number and its open
 * draft. `published` filters on having a published version; `publishedOnly` (callers who may not
 * see drafts) also leaves those out and hides drafts.
 */
export async function listRubrics(db: Db, opts: { cursor?: Cursor; limit: number; publishedOnly: boolean; published?: boolean }): Promise<RubricListRow[]> {
  const page = keyset(rubrics.createdAt, rubrics.id, opts.cursor)
  const withPublished = db.select({ id: rubricVersions.rubricId }).from(rubricVersions).where(eq(rubricVersions.status, 'published'))
  const conditions: (SQL | undefined)[] = [page.where]
  if (opts.publishedOnly || opts.published === true) conditions.push(inArray(rubrics.id, withPublished))
  if (opts.published === false) conditions.push(notInArray(rubrics.id, withPublished))
  const rows = await db.select().from(rubrics).where(and(...conditions)).orderBy(...page.orderBy).limit(opts.limit + 1)
  if (rows.length === 0) return []
  // Versions are few per rubric; reading them whole is simpler than correlated subqueries in the select list.
  const versions = await db.select({ rubricId: rubricVersions.rubricId, version: rubricVersions.version, status: rubricVersions.status, title: rubricVersions.title })
    .from(rubricVersions).where(inArray(rubricVersions.rubricId, rows.map((r) => r.id))).orderBy(desc(rubricVersions.version))
  return rows.map((r) => {
    const mine = versions.filter((v) => v.rubricId === r.id)
    const latest = mine.find((v) => v.status === 'published')
    const draft = opts.publishedOnly ? undefined : mine.find((v) => v.status === 'draft')
    return { ...r, latestPublishedVersion: latest?.version ?? null, draftVersion: draft?.version ?? null, title: (latest ?? draft)?.title ?? r.key }
  })
}
