import { and, eq, isNull, lt, or, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { preparedOnce } from '../../db/prepared.ts'
import { accounts, apiKeys, coordinatorPrograms } from '../../db/schema/index.ts'
import type { Principal } from '../../lib/request-context.ts'

/** Resolves an API key hash to its (active, unrevoked) account in one query, with the key's last use. */
export async function findPrincipalByKeyHash(db: Db, keyHash: string): Promise<{ principal: Principal; lastUsedAt: Date | null } | undefined> {
  // Every request authenticates: the lookup is prepared once per database handle.
  const lookup = preparedOnce(db, 'auth_principal_by_key_hash', () => principalByKeyHash(db).prepare('auth_principal_by_key_hash'))
  const [row] = await lookup.execute({ keyHash })
  if (!row) return undefined
  const { lastUsedAt, ...principal } = row
  return { principal, lastUsedAt }
}

function principalByKeyHash(db: Db) {
  return db
    .select({
      accountId: accounts.id,
      apiKeyId: apiKeys.id,
      role: accounts.role,
      name: accounts.name,
      supervisorId: accounts.supervisorId,
      traineeId: accounts.traineeId,
      organizationId: accounts.organizationId,
      programIds: sql<string[]>`coalesce((select array_agg(${coordinatorPrograms.programId}::text) from ${coordinatorPrograms} where ${coordinatorPrograms.accountId} = ${accounts.id}), '{}')`,
      lastUsedAt: apiKeys.lastUsedAt
    })
    .from(apiKeys)
    .innerJoin(accounts, eq(accounts.id, apiKeys.accountId))
    .where(and(eq(apiKeys.keyHash, sql.placeholder('keyHash')), isNull(apiKeys.revokedAt), eq(accounts.active, true)))
    .limit(1)
}

/** Last use is kept to the minute, so authentication stays a read on the hot path. */
export const TOUCH_INTERVAL_MS = 60_000

export async function touchApiKey(db: Db, apiKeyId: string): Promise<void> {
  await db
    .update(apiKeys)
    .set({ lastUsedAt: sql`now()` })
    .where(and(eq(apiKeys.id, apiKeyId), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, sql`now() - interval '1 minute'`))))
}
