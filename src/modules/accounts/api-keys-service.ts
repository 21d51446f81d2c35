import type { Db } from '../../db/client.ts'
import { ERRORS, problem } from '../../errors.ts'
import { decodeCursor, toPage } from '../../lib/pagination.ts'
import type { PageRequest } from '../../lib/crud.ts'
import { recordAudit } from '../../db/audit.ts'
import { generateApiKey } from './api-key.ts'
import { findAccount, lockAccount } from './accounts-repository.ts'
import { toAccount } from './accounts-service.ts'
import type { ApiKey, CreatedApiKey, Me } from './accounts-schemas.ts'
import {
  countUnrevokedKeys, findApiKey, insertApiKey, listApiKeys as selectApiKeys, revokeApiKey as markRevoked, type ApiKeyRow
} from './api-keys-repository.ts'
import type { RequestContext } from '../../lib/request-context.ts'

/** Enough for rotation and a few machines; a bound keeps a leaked key from minting keys without end. */
export const MAX_UNREVOKED_KEYS = 10

const iso = (d: Date | null) => d?.toISOString() ?? null

export const toApiKey = (row: ApiKeyRow): ApiKey => ({
  ...row, createdAt: row.createdAt.toISOString(), lastUsedAt: iso(row.lastUsedAt), revokedAt: iso(row.revokedAt), expiresAt: iso(row.expiresAt)
})

export interface NewApiKey { name: string; expiresAt?: string; readOnly?: boolean }

/** The secret exists in clear only in this function's result: the database gets its hash. */
export async function createApiKey(db: Db, ctx: RequestContext, accountId: string, input: NewApiKey, now = new Date()): Promise<CreatedApiKey> {
  const expiresAt = input.expiresAt === undefined ? null : new Date(input.expiresAt)
  if (expiresAt && expiresAt.getTime() <= now.getTime()) {
    throw problem('api-key-expiry-past', 'expiresAt must be in the future.', { errors: [{ pointer: '/expiresAt', detail: 'must be in the future' }] })
  }
  const readOnly = input.readOnly ?? false
  return db.transaction(async (tx) => {
    const account = await lockAccount(tx, accountId)
    if (!account) throw ERRORS.notFound('account', accountId)
    if (!account.active) throw problem('account-inactive', 'The account is deactivated; reactivate it before giving it a key.')
    if (await countUnrevokedKeys(tx, accountId) >= MAX_UNREVOKED_KEYS) {
      throw problem('api-key-limit', `An account may hold at most ${MAX_UNREVOKED_KEYS} unrevoked API keys; revoke one first.`)
    }
    await refuseOutlivingCaller(tx, ctx, accountId, expiresAt)
    const secret = generateApiKey()
    const row = await insertApiKey(tx, { accountId, name: input.name, prefix: secret.prefix, keyHash: secret.hash, createdBy: ctx.principal.accountId, expiresAt, readOnly })
    await recordAudit(tx, ctx, {
      action: 'api_key.create', objectType: 'api_key', objectId: row.id,
      changes: { accountId, name: input.name, prefix: row.prefix, expiresAt: iso(expiresAt), readOnly }
    })
    return { id: row.id, accountId, name: row.name, prefix: row.prefix, createdAt: row.createdAt.toISOString(), expiresAt: iso(row.expiresAt), readOnly: row.readOnly, key: secret.key }
  })
}

/** A key that expires cannot mint itself a successor that lives longer: a leaked key stays short-lived. */
async function refuseOutlivingCaller(tx: Db, ctx: RequestContext, accountId: string, expiresAt: Date | null): Promise<void> {
  if (accountId !== ctx.principal.accountId || !ctx.principal.apiKeyId) return
  const caller = await findApiKey(tx, ctx.principal.apiKeyId)
  if (caller?.expiresAt && (!expiresAt || expiresAt > caller.expiresAt)) {
    throw problem('api-key-outlives-caller', `The key in use expires at ${caller.expiresAt.toISOString()}; a key it issues must expire by then.`, {
      errors: [{ pointer: '/expiresAt', detail: `must be no later than ${caller.expiresAt.toISOString()}` }]
    })
  }
}

export async function listApiKeys(db: Db, accountId: string, page: PageRequest): Promise<{ items: ApiKey[]; nextCursor: string | null }> {
  if (!await findAccount(db, accountId)) throw ERRORS.notFound('account', accountId)
  const rows = await selectApiKeys(db, accountId, decodeCursor(page.cursor), page.limit)
  const { items, nextCursor } = toPage(rows, page.limit)
  return { items: items.map(toApiKey), nextCursor }
}

/**
 * Admins revoke any key; everyone else only their own (another account's key is not found). The
 * key answers 401 from the next request on. Revoking a revoked key changes nothing.
 */
export async function revokeApiKey(db: Db, ctx: RequestContext, keyId: string): Promise<ApiKey> {
  return db.transaction(async (tx) => {
    const key = await findApiKey(tx, keyId, { lock: true })
    const mayRevoke = ctx.principal.role === 'admin' || key?.accountId === ctx.principal.accountId
    if (!key || !mayRevoke) throw ERRORS.notFound('API key', keyId)
    if (key.revokedAt) return toApiKey(key)
    const revoked = await markRevoked(tx, keyId)
    await recordAudit(tx, ctx, {
      action: 'api_key.revoke',
      objectType: 'api_key',
      objectId: keyId,
      changes: { accountId: key.accountId, revokedAt: { from: null, to: iso(revoked.revokedAt) } }
    })
    return toApiKey(revoked)
  })
}

export async function describeCaller(db: Db, ctx: RequestContext): Promise<Omit<Me, 'emailReminders'>> {
  const apiKeyId = ctx.principal.apiKeyId
  if (!apiKeyId) throw ERRORS.unauthorized()
  const [account, key] = await Promise.all([findAccount(db, ctx.principal.accountId), findApiKey(db, apiKeyId)])
  // Both existed a moment ago, when this request authenticated; rows are never deleted.
  if (!account || !key) throw ERRORS.unauthorized()
  return { account: toAccount(account), apiKey: { id: key.id, name: key.name, prefix: key.prefix } }
}
