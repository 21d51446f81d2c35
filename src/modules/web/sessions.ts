import { createHash, randomBytes } from 'node:crypto'
import { and, eq, gt, lt, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { accounts, coordinatorPrograms, webSessions } from '../../db/schema/index.ts'
import type { Principal } from '../../lib/request-context.ts'

/**
 * Web sessions: a random token in an HttpOnly cookie, stored hashed. A session lasts IDLE_HOURS
 * after its last use, and never beyond MAX_DAYS; its CSRF token is checked on every form post.
 */
export const SESSION_COOKIE = 'rapport_session'
const IDLE_HOURS = 8
const MAX_DAYS = 7
/** Sliding expiry is written at most this often, so most requests only read. */
const TOUCH_MS = 60_000

export const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex')
const newToken = () => randomBytes(32).toString('base64url')

export interface WebSession {
  principal: Principal
  csrfToken: string
  tokenHash: string
}

export async function createSession(db: Db, accountId: string, now: Date): Promise<{ token: string; csrfToken: string }> {
  const token = newToken()
  const csrfToken = newToken()
  await db.insert(webSessions).values({
    tokenHash: tokenHash(token), accountId, csrfToken, createdAt: now, lastSeenAt: now, expiresAt: new Date(now.getTime() + IDLE_HOURS * 3_600_000)
  })
  return { token, csrfToken }
}

/** The signed-in person behind a cookie token, or undefined (unknown, expired, or the account deactivated). */
export async function findSession(db: Db, token: string, now: Date): Promise<WebSession | undefined> {
  const hash = tokenHash(token)
  const [row] = await db.select({
    accountId: accounts.id, role: accounts.role, name: accounts.name, supervisorId: accounts.supervisorId, traineeId: accounts.traineeId,
    organizationId: accounts.organizationId, csrfToken: webSessions.csrfToken, lastSeenAt: webSessions.lastSeenAt, createdAt: webSessions.createdAt,
    programIds: sql<string[]>`coalesce((select array_agg(${coordinatorPrograms.programId}::text) from ${coordinatorPrograms} where ${coordinatorPrograms.accountId} = ${accounts.id}), '{}')`
  }).from(webSessions).innerJoin(accounts, eq(accounts.id, webSessions.accountId))
    .where(and(eq(webSessions.tokenHash, hash), gt(webSessions.expiresAt, now), eq(accounts.active, true)))
  if (!row || row.role === 'integrator' || now.getTime() - row.createdAt.getTime() > MAX_DAYS * 86_400_000) return undefined
  if (now.getTime() - row.lastSeenAt.getTime() > TOUCH_MS) {
    await db.update(webSessions).set({ lastSeenAt: now, expiresAt: new Date(now.getTime() + IDLE_HOURS * 3_600_000) }).where(eq(webSessions.tokenHash, hash))
  }
  const { csrfToken, lastSeenAt: _seen, createdAt: _created, ...principal } = row
  return { principal: { ...principal, apiKeyId: null }, csrfToken, tokenHash: hash }
}

export async function endSession(db: Db, hash: string): Promise<void> {
  await db.delete(webSessions).where(eq(webSessions.tokenHash, hash))
}

/** Sessions end when the password changes (every device signs in again) and are swept when expired. */
export async function endSessionsOf(db: Db, accountId: string): Promise<void> {
  await db.delete(webSessions).where(eq(webSessions.accountId, accountId))
}

export async function sweepExpired(db: Db, now: Date): Promise<void> {
  await db.delete(webSessions).where(lt(webSessions.expiresAt, now))
}
