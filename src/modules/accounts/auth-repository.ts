import { and, eq, isNull, lt, or, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { preparedOnce } from '../../db/prepared.ts'
import { accounts, apiKeys, coordinatorPrograms, supervisors, trainees } from '../../db/schema/index.ts'
import type { Principal } from '../../lib/request-context.ts'

export interface KeyPrincipal {
  principal: Principal
  lastUsedAt: Date | null
  /** The caller decides, so that an expired key gets its own answer (api-key-expired). */
  expiresAt: Date | null
  readOnly: boolean
}

/**
 * Resolves an API key hash to its account in one prepared query, with the key's last use, expiry
 * and read-only flag: unrevoked keys of active accounts only, and only while the account's linked
 * trainee or supervisor record is active too (deactivating the person also deactivates the
 * account; this holds even if that were missed).
 */
export async function findPrincipalByKeyHash(db: Db, keyHash: string): Promise<KeyPrincipal | undefined> {
  // Every request authenticates: the lookup is prepared once per database handle.
  const lookup = preparedOnce(db, 'auth_principal_by_key_hash', () => principalByKeyHash(db).prepare('auth_principal_by_key_hash'))
  const [row] = await lookup.execute({ keyHash })
  if (!row) return undefined
  const { lastUsedAt, expiresAt, readOnly, ...principal } = row
  return { principal, lastUsedAt, expiresAt, readOnly }
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
      lastUsedAt: apiKeys.lastUsedAt,
      expiresAt: apiKeys.expiresAt,
      readOnly: apiKeys.readOnly
    })
    .from(apiKeys)
    .innerJoin(accounts, eq(accounts.id, apiKeys.accountId))
    .leftJoin(supervisors, eq(supervisors.id, accounts.supervisorId))
    .leftJoin(trainees, eq(trainees.id, accounts.traineeId))
    .where(and(
      eq(apiKeys.keyHash, sql.placeholder('keyHash')), isNull(apiKeys.revokedAt), eq(accounts.active, true),
      or(isNull(accounts.supervisorId), eq(supervisors.active, true)),
      or(isNull(accounts.traineeId), eq(trainees.active, true))
    ))
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
