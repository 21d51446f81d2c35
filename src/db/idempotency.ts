import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import type { Db } from './client.ts'
import { rows } from './rows.ts'

/** What an answer that showed a secret created: named on replay instead of the secret. */
export interface CreatedObject { kind: string; id: string; url: string }

/** A key's row as another request with that key finds it. */
export interface StoredKey {
  requestDigest: string
  /** True while a request holds the key (its marker has not expired). */
  inFlight: boolean
  status: number | null
  headers: Record<string, string> | null
  body: string | null
  created: CreatedObject | null
}

export type Claim = { owned: true; token: string } | { owned: false; stored: StoredKey | undefined }

export interface ClaimOptions { apiKeyId: string; key: string; digest: string; lockMs: number; retentionHours: number }

/**
 * Claims the key for one request in one statement, so two instances racing for it cannot both win:
 * a new key is inserted; an existing one is taken over only if its stored answer has expired or its
 * in-flight marker outlived `lockMs` (a crash). Times are the database's, the same on every instance.
 * Otherwise the row is read back for the caller to replay or refuse.
 */
export async function claimKey(db: Db, o: ClaimOptions): Promise<Claim> {
  const token = randomUUID()
  const [won] = await rows<{ token: string }>(db, sql`
    insert into idempotency_keys (api_key_id, key, request_digest, lock_token, locked_until, expires_at)
    values (${o.apiKeyId}, ${o.key}, ${o.digest}, ${token}, now() + ${o.lockMs} * interval '1 millisecond', now() + ${o.retentionHours} * interval '1 hour')
    on conflict (api_key_id, key) do update set
      request_digest = excluded.request_digest, lock_token = excluded.lock_token, locked_until = excluded.locked_until,
      expires_at = excluded.expires_at, created_at = now(), status = null, headers = null, body = null, created = null
    where idempotency_keys.expires_at <= now()
       or (idempotency_keys.lock_token is not null and idempotency_keys.locked_until <= now())
    returning lock_token::text as token`)
  if (won?.token === token) return { owned: true, token }
  const [stored] = await rows<StoredKey>(db, sql`
    select request_digest as "requestDigest", (lock_token is not null) as "inFlight", status, headers, body, created
    from idempotency_keys where api_key_id = ${o.apiKeyId} and key = ${o.key}`)
  return { owned: false, stored }
}

export interface Answer { digest: string; status: number; headers: Record<string, string>; body: string | null; created: CreatedObject | null }

/** Stores the answer (and the body's digest, known only now for a streamed body) of the request holding `token`; false when its claim was lost (it outlived the marker). */
export async function storeAnswer(db: Db, apiKeyId: string, key: string, token: string, a: Answer): Promise<boolean> {
  const done = await rows<{ key: string }>(db, sql`
    update idempotency_keys set request_digest = ${a.digest}, lock_token = null, locked_until = null, status = ${a.status},
      headers = ${JSON.stringify(a.headers)}::jsonb, body = ${a.body}, created = ${a.created === null ? null : JSON.stringify(a.created)}::jsonb
    where api_key_id = ${apiKeyId} and key = ${key} and lock_token = ${token} returning key`)
  return done.length > 0
}

/** Gives the key up without an answer (a 5xx, a 429): the next request with it executes afresh. */
export async function releaseKey(db: Db, apiKeyId: string, key: string, token: string): Promise<void> {
  await db.execute(sql`delete from idempotency_keys where api_key_id = ${apiKeyId} and key = ${key} and lock_token = ${token}`)
}

/** Deletes at most `limit` expired rows: bounded work, however long pruning was put off. */
export async function pruneExpired(db: Db, limit: number): Promise<number> {
  const gone = await rows<{ key: string }>(db, sql`
    delete from idempotency_keys where (api_key_id, key) in (
      select api_key_id, key from idempotency_keys where expires_at <= now() order by expires_at limit ${limit})
    returning key`)
  return gone.length
}
