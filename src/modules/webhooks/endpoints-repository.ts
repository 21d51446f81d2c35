import { and, eq, sql, type SQL } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { webhookEndpoints } from '../../db/schema/index.ts'
import { activeFilter, listRows, type PageRequest } from '../../lib/crud.ts'

export type EndpointRow = typeof webhookEndpoints.$inferSelect

/** How long a rotated-out secret keeps signing: receivers get a day to deploy the new one. */
export const PREVIOUS_SECRET_HOURS = 24

export async function findEndpoint(db: Db, id: string, scope: SQL | undefined, { lock = false } = {}): Promise<EndpointRow | undefined> {
  const query = db.select().from(webhookEndpoints).where(and(eq(webhookEndpoints.id, id), scope))
  const [row] = lock ? await query.for('update') : await query
  return row
}

export function listEndpoints(db: Db, scope: SQL | undefined, q: PageRequest & { active?: boolean | undefined }) {
  return listRows(db, webhookEndpoints, [scope, activeFilter(webhookEndpoints, q.active)], q)
}

export async function insertEndpoint(db: Db, values: typeof webhookEndpoints.$inferInsert): Promise<EndpointRow> {
  const [row] = await db.insert(webhookEndpoints).values(values).returning()
  return row!
}

type EndpointChange = Partial<Pick<typeof webhookEndpoints.$inferInsert,
  'url' | 'eventTypes' | 'description' | 'active' | 'disabledReason' | 'failingSince' | 'secretSealed' | 'previousSecretSealed'>>

/**
 * One change, with the revision (the ETag) bumped and the database's clock for every time it sets.
 * `disabled`: true stamps disabled_at, false clears it; `rotated` starts the old secret's 24 hours.
 */
export async function updateEndpoint(db: Db, id: string, change: EndpointChange, o: { disabled?: boolean; rotated?: boolean } = {}): Promise<EndpointRow> {
  const [row] = await db.update(webhookEndpoints).set({
    ...change,
    ...(o.disabled === undefined ? {} : { disabledAt: o.disabled ? sql`now()` : null }),
    ...(o.rotated ? { previousExpiresAt: sql`now() + make_interval(hours => ${PREVIOUS_SECRET_HOURS})` } : {}),
    revision: sql`${webhookEndpoints.revision} + 1`,
    updatedAt: sql`now()`
  }).where(eq(webhookEndpoints.id, id)).returning()
  return row!
}
