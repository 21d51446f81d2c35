import { createHash, randomBytes } from 'node:crypto'
import { and, eq, gt, isNull, lt, ne, or, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { accounts, coordinatorPrograms, supervisors, trainees, webSessions } from '../../db/schema/index.ts'
import type { Principal } from '../../lib/request-context.ts'

/**
 * Web sessions: a random token in an HttpOnly cookie, stored hashed. A session lasts IDLE_HOURS
 * after its last use, and never beyond MAX_DAYS; its CSRF token is checked on every form post.
 */
export const SESSION_COOKIE = 'rapport_session'
const IDLE_HOURS = 8
const MAX_DAYS = 7
/** A sign-in waiting for its second factor (or enrolment) lasts this long. */
const PENDING_MINUTES = 10

export type PendingStep = 'second-factor' | 'enrol'
/** Sliding expiry is written at most this often, so most requests only read. */
const TOUCH_MS = 60_000

export const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex')
const newToken = () => randomBytes(32).toString('base64url')

export interface WebSession {
  principal: Principal
  csrfToken: string
  tokenHash: string
}

/** A session; `pending` makes it a half-finished sign-in that reaches only the second-factor pages. */
export async function createSession(db: Db, accountId: string, now: Date, pending: PendingStep | null = null): Promise<{ token: string; csrfToken: string }> {
  const token = newToken()
  const csrfToken = newToken()
  const lifetime = pending ? PENDING_MINUTES * 60_000 : IDLE_HOURS * 3_600_000
  await db.insert(webSessions).values({
    tokenHash: tokenHash(token), accountId, csrfToken, createdAt: now, lastSeenAt: now, expiresAt: new Date(now.getTime() + lifetime), pending
  })
  return { token, csrfToken }
}

/**
 * The account still may sign in: active, and its linked trainee or supervisor record active too
 * (deactivating the person also deactivates the account; this holds even if that were missed).
 */
export const accountUsable = and(
  eq(accounts.active, true),
  ne(accounts.role, 'integrator'),
  or(isNull(accounts.supervisorId), sql`exists (select 1 from ${supervisors} where ${supervisors.id} = ${accounts.supervisorId} and ${supervisors.active})`),
  or(isNull(accounts.traineeId), sql`exists (select 1 from ${trainees} where ${trainees.id} = ${accounts.traineeId} and ${trainees.active})`)
)

/** A half-finished sign-in behind a cookie token: whose, and which step is due. */
export async function findPendingSession(db: Db, token: string, now: Date): Promise<{ accountId: string; role: string; name: string; email: string | null; step: PendingStep; tokenHash: string } | undefined> {
  const hash = tokenHash(token)
  const [row] = await db.select({ accountId: accounts.id, role: accounts.role, name: accounts.name, email: accounts.email, step: webSessions.pending })
    .from(webSessions).innerJoin(accounts, eq(accounts.id, webSessions.accountId))
    .where(and(eq(webSessions.tokenHash, hash), gt(webSessions.expiresAt, now), accountUsable))
  if (!row?.step) return undefined
  return { ...row, step: row.step as PendingStep, tokenHash: hash }
}

/** The signed-in person behind a cookie token, or undefined (unknown, expired, pending, or the account or its person deactivated). */
export async function findSession(db: Db, token: string, now: Date): Promise<WebSession | undefined> {
  const hash = tokenHash(token)
  const [row] = await db.select({
    accountId: accounts.id, role: accounts.role, name: accounts.name, supervisorId: accounts.supervisorId, traineeId: accounts.traineeId,
    organizationId: accounts.organizationId, csrfToken: webSessions.csrfToken, lastSeenAt: webSessions.lastSeenAt, createdAt: webSessions.createdAt,
    programIds: sql<string[]>`coalesce((select array_agg(${coordinatorPrograms.programId}::text) from ${coordinatorPrograms} where ${coordinatorPrograms.accountId} = ${accounts.id}), '{}')`
  }).from(webSessions).innerJoin(accounts, eq(accounts.id, webSessions.accountId))
    .where(and(eq(webSessions.tokenHash, hash), gt(webSessions.expiresAt, now), isNull(webSessions.pending), accountUsable))
  if (!row || now.getTime() - row.createdAt.getTime() > MAX_DAYS * 86_400_000) return undefined
  if (now.getTime() - row.lastSeenAt.getTime() > TOUCH_MS) {
    await db.update(webSessions).set({ lastSeenAt: now, expiresAt: new Date(now.getTime() + IDLE_HOURS * 3_600_000) }).where(eq(webSessions.tokenHash, hash))
  }
  const { csrfToken, lastSeenAt: _seen, createdAt: _created, ...principal } = row
  return { principal: { ...principal, apiKeyId: null }, csrfToken, tokenHash: hash }
}

export async function endSession(db: Db, hash: string): Promise<void> {
  await db.delete(webSessions).where(eq(webSessions.tokenHash, hash))
}

/**
 * Sessions end when the password changes or the person signs out everywhere (every device signs
 * in again; `except` keeps the one in use), and are swept when expired.
 */
export async function endSessionsOf(db: Db, accountId: string, except?: string): Promise<number> {
  const ended = await db.delete(webSessions)
    .where(and(eq(webSessions.accountId, accountId), except ? ne(webSessions.tokenHash, except) : undefined))
    .returning({ tokenHash: webSessions.tokenHash })
  return ended.length
}

export async function sweepExpired(db: Db, now: Date): Promise<void> {
  await db.delete(webSessions).where(lt(webSessions.expiresAt, now))
}
