import { and, asc, count, eq } from 'drizzle-orm'
import type { LightMyRequestResponse } from 'fastify'
import type { Test } from 'tap'
import type { Db } from '../../src/db/client.ts'
import { auditEvents } from '../../src/db/schema/index.ts'
import type { Client } from './app.ts'

/** The audit rows about one object, oldest first. */
export function auditTrail(db: Db, objectType: string, objectId: string) {
  return db.select().from(auditEvents)
    .where(and(eq(auditEvents.objectType, objectType), eq(auditEvents.objectId, objectId)))
    .orderBy(asc(auditEvents.id))
}

export async function auditCount(db: Db): Promise<number> {
  const [row] = await db.select({ n: count() }).from(auditEvents)
  return row!.n
}

export const pointers = (res: LightMyRequestResponse): string[] =>
  ((res.json() as { errors?: { pointer: string }[] }).errors ?? []).map((e) => e.pointer)

/** Asserts a problem+json answer of the given status and type, and (when given) the field pointers. */
export function isProblem(t: Test, res: LightMyRequestResponse, status: number, type: string, expectPointers?: string[], message = '') {
  t.equal(res.statusCode, status, `${message} answers ${status} (${res.body.slice(0, 200)})`)
  t.match(res.headers['content-type'], /application\/problem\+json/, `${message} is problem+json`)
  t.equal((res.json() as { type: string }).type, `/problems/${type}`, `${message} has type ${type}`)
  // A nullable field reports each branch of its union, so compare the distinct pointers.
  if (expectPointers) t.same([...new Set(pointers(res))].sort(), [...expectPointers].sort(), `${message} points at ${expectPointers.join(', ')}`)
}

/** Follows nextCursor from the first page to the last; returns every id in order and the number of pages. */
export async function allPages(as: Client, url: string, query: Record<string, string> = {}, limit = 3) {
  const ids: string[] = []
  let pages = 0
  let cursor: string | null = null
  do {
    const res = await as.get(url, { query: { ...query, limit: String(limit), ...(cursor ? { cursor } : {}) } })
    if (res.statusCode !== 200) throw new Error(`GET ${url} answered ${res.statusCode}: ${res.body}`)
    const page = res.json() as { items: { id: string }[]; nextCursor: string | null }
    ids.push(...page.items.map((i) => i.id))
    cursor = page.nextCursor
    pages++
  } while (cursor !== null && pages < 1000)
  return { ids, pages }
}

/** The ids of the first page of a list (for filters and scopes over few records). */
export async function listIds(as: Client, url: string, query: Record<string, string> = {}): Promise<string[]> {
  const res = await as.get(url, { query: { limit: '200', ...query } })
  if (res.statusCode !== 200) throw new Error(`GET ${url} answered ${res.statusCode}: ${res.body}`)
  return (res.json() as { items: { id: string }[] }).items.map((i) => i.id).sort()
}

export const sorted = (ids: string[]) => [...ids].sort()
