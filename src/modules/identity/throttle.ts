import { randomUUID } from 'node:crypto'
import { isIP } from 'node:net'
import { eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { signInThrottle } from '../../db/schema/index.ts'

/**
 * Sign-in attempts are counted BEFORE the password (or code) is checked, each limit in one
 * statement, so parallel guesses cannot slip past the count: once a key has used its free
 * attempts, the next may only be checked after a wait that doubles with each further attempt
 * (15 s, 30 s, 1 min … up to 15 minutes). State lives in Postgres, so every instance of the service agrees.
 */
export interface ThrottleRule {
  /** Attempts let through before waits begin. */
  free: number
  firstWaitSeconds: number
  maxWaitSeconds: number
  /** A key whose last attempt is older than this starts afresh. */
  forgetAfterSeconds: number
}

export const RULES = {
  /** Guesses at one account from addresses it never signed in from. */
  account: { free: 5, firstWaitSeconds: 15, maxWaitSeconds: 15 * 60, forgetAfterSeconds: 60 * 60 },
  /** The owner at one of their usual addresses: only their own mistakes count here. */
  knownAddress: { free: 5, firstWaitSeconds: 15, maxWaitSeconds: 15 * 60, forgetAfterSeconds: 60 * 60 },
  /** Everything from one client address, so spraying many accounts is slowed too; a shared office address needs room. */
  address: { free: 20, firstWaitSeconds: 15, maxWaitSeconds: 15 * 60, forgetAfterSeconds: 60 * 60 },
  /** Codes for one account's second factor. */
  secondFactor: { free: 5, firstWaitSeconds: 15, maxWaitSeconds: 15 * 60, forgetAfterSeconds: 60 * 60 }
} as const satisfies Record<string, ThrottleRule>

export const emailKey = (email: string) => `email:${email.trim().toLowerCase()}`
export const knownAddressKey = (accountId: string, address: string) => `known:${accountId}:${address}`
export const addressKey = (address: string) => `address:${address}`
export const secondFactorKey = (accountId: string) => `second-factor:${accountId}`

/**
 * The address a limit applies to: IPv4 as it is, IPv6 by its /64 (one subscriber usually holds a
 * whole /64, so counting single addresses would not slow anyone down).
 */
export function clientAddress(ip: string): string {
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1]
  if (v4) return v4
  if (isIP(ip) !== 6) return ip
  const [head = '', tail = ''] = ip.split('::')
  const left = head ? head.split(':') : []
  const right = tail ? tail.split(':') : []
  const groups = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left
  return `${groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`
}

/**
 * Counts one attempt on a key, unless the key is waiting: then nothing is counted (a locked key's
 * wait does not grow by being knocked on). Returns the seconds to wait, 0 when this attempt may be
 * checked now. `last_attempt_id` tells whether this very statement's attempt was the one let in.
 */
export async function countAttempt(db: Db, key: string, rule: ThrottleRule, now: Date): Promise<number> {
  const id = randomUUID()
  const at = sql`${now.toISOString()}::timestamptz`
  const forget = sql`${new Date(now.getTime() - rule.forgetAfterSeconds * 1000).toISOString()}::timestamptz`
  const t = signInThrottle
  const waiting = sql`(${t.blockedUntil} is not null and ${t.blockedUntil} > ${at})`
  const next = sql`(case when ${t.lastAttemptAt} < ${forget} then 1 else ${t.attempts} + 1 end)`
  const wait = (n: SQL) => sql`case when ${n} >= ${rule.free}
    then ${at} + make_interval(secs => least(${rule.maxWaitSeconds}, ${rule.firstWaitSeconds} * power(2, least(${n} - ${rule.free}, 20)))) end`
  const [row] = await db.insert(t)
    .values({ key, attempts: 1, lastAttemptAt: now, lastAttemptId: id, blockedUntil: rule.free <= 1 ? new Date(now.getTime() + rule.firstWaitSeconds * 1000) : null })
    .onConflictDoUpdate({
      target: t.key,
      set: {
        attempts: sql`case when ${waiting} then ${t.attempts} else ${next} end`,
        lastAttemptAt: sql`case when ${waiting} then ${t.lastAttemptAt} else ${at} end`,
        lastAttemptId: sql`case when ${waiting} then ${t.lastAttemptId} else ${id}::uuid end`,
        blockedUntil: sql`case when ${waiting} then ${t.blockedUntil} else ${wait(next)} end`
      }
    })
    .returning({ lastAttemptId: t.lastAttemptId, blockedUntil: t.blockedUntil })
  if (row?.lastAttemptId === id) return 0
  return Math.max(1, Math.ceil(((row?.blockedUntil?.getTime() ?? now.getTime()) - now.getTime()) / 1000))
}

/** A success forgets the key's attempts (the account's, or the owner's at their address). */
export async function clearAttempts(db: Db, key: string): Promise<void> {
  await db.delete(signInThrottle).where(eq(signInThrottle.key, key))
}

/**
 * A success from an address gives back its own attempt there, and no more: signing in to one's
 * own account never buys guesses at others'.
 */
export async function refundAttempt(db: Db, key: string, rule: ThrottleRule): Promise<void> {
  const t = signInThrottle
  await db.update(t).set({
    attempts: sql`greatest(${t.attempts} - 1, 0)`,
    blockedUntil: sql`case when ${t.attempts} - 1 < ${rule.free} then null else ${t.blockedUntil} end`
  }).where(eq(t.key, key))
}

type SQL = ReturnType<typeof sql>
