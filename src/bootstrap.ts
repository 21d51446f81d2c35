import { and, eq } from 'drizzle-orm'
import type { Db } from './db/client.ts'
import { accounts, apiKeys } from './db/schema/index.ts'
import { generateApiKey, hashApiKey } from './modules/accounts/api-key.ts'
import { recordAudit } from './db/audit.ts'

export interface BootstrapResult {
  /** Set only when a key was generated now: it is shown this once and never stored in clear. */
  generatedAdminKey?: string
  adminKeyCreated: boolean
  /** ADMIN_API_KEY is known but revoked (or its account deactivated): it stays unusable on purpose. */
  configuredKeyRevoked?: boolean
}

/**
 * First start on an empty database: create an admin account with an API key, either the one given
 * in ADMIN_API_KEY or a generated one. A configured key missing from the database is added, so an
 * operator can regain access by setting a new one. A configured key that was revoked is not revived:
 * revocation is how a leaked key is retired.
 */
export async function ensureAdmin(db: Db, configuredKey: string | undefined): Promise<BootstrapResult> {
  return db.transaction(async (tx) => {
    if (configuredKey) {
      const [existing] = await tx
        .select({ revokedAt: apiKeys.revokedAt, active: accounts.active })
        .from(apiKeys)
        .innerJoin(accounts, eq(accounts.id, apiKeys.accountId))
        .where(eq(apiKeys.keyHash, hashApiKey(configuredKey)))
      if (existing) return { adminKeyCreated: false, configuredKeyRevoked: existing.revokedAt !== null || !existing.active }
    } else {
      const [admin] = await tx.select({ id: accounts.id }).from(accounts).where(and(eq(accounts.role, 'admin'), eq(accounts.active, true))).limit(1)
      if (admin) return { adminKeyCreated: false }
    }
    let [admin] = await tx.select({ id: accounts.id }).from(accounts).where(and(eq(accounts.role, 'admin'), eq(accounts.active, true))).limit(1)
    if (!admin) {
      [admin] = await tx.insert(accounts).values({ role: 'admin', name: 'Administrator' }).returning({ id: accounts.id })
      await recordAudit(tx, null, { action: 'account.create', objectType: 'account', objectId: admin!.id, changes: { role: 'admin', name: 'Administrator' } })
    }
    const generated = configuredKey ? undefined : generateApiKey()
    const key = configuredKey ?? generated!.key
    const [row] = await tx.insert(apiKeys).values({
      accountId: admin!.id,
      name: configuredKey ? 'ADMIN_API_KEY' : 'initial admin key',
      prefix: key.slice(0, 10),
      keyHash: hashApiKey(key)
    }).returning({ id: apiKeys.id })
    await recordAudit(tx, null, { action: 'api_key.create', objectType: 'api_key', objectId: row!.id, changes: { accountId: admin!.id, source: configuredKey ? 'ADMIN_API_KEY' : 'generated' } })
    return { adminKeyCreated: true, ...(generated ? { generatedAdminKey: generated.key } : {}) }
  })
}
