import { and, count, eq, isNull, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { apiKeys } from '../../db/schema/index.ts'
import { keyset, type Cursor } from '../../lib/pagination.ts'

/** Everything about a key except its hash: no query here ever returns the hash. */
const keyColumns = {
  id: apiKeys.id,
  accountId: apiKeys.accountId,
  name: apiKeys.name,
  prefix: apiKeys.prefix,
  createdAt: apiKeys.createdAt,
  lastUsedAt: apiKeys.lastUsedAt,
  revokedAt: apiKeys.revokedAt,
  expiresAt: apiKeys.expiresAt,
  readOnly: apiKeys.readOnly
}

export type ApiKeyRow = NonNullable<Awaited<ReturnType<typeof findApiKey>>>

export async function findApiKey(db: Db, id: string, { lock = false } = {}) {
  const query = db.select(keyColumns).from(apiKeys).where(eq(apiKeys.id, id))
  const [row] = lock ? await query.for('update') : await query
  return row
}

export async function listApiKeys(db: Db, accountId: string, cursor: Cursor | undefined, limit: number) {
  const page = keyset(apiKeys.createdAt, apiKeys.id, cursor)
  return db.select(keyColumns).from(apiKeys)
    .where(and(eq(apiKeys.accountId, accountId), page.where))
    .orderBy(...page.orderBy)
    .limit(limit + 1)
}

export async function countUnrevokedKeys(db: Db, accountId: string): Promise<number> {
  const [row] = await db.select({ n: count() }).from(apiKeys).where(and(eq(apiKeys.accountId, accountId), isNull(apiKeys.revokedAt)))
  return row?.n ?? 0
}

export async function insertApiKey(db: Db, values: typeof apiKeys.$inferInsert): Promise<ApiKeyRow> {
  const [row] = await db.insert(apiKeys).values(values).returning(keyColumns)
  return row!
}

export async function revokeApiKey(db: Db, id: string): Promise<ApiKeyRow> {
  const [row] = await db.update(apiKeys).set({ revokedAt: sql`now()` }).where(eq(apiKeys.id, id)).returning(keyColumns)
  return row!
}
