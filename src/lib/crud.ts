import { and, eq, ilike, or, sql, type SQL } from 'drizzle-orm'
import type { PgColumn, PgTable, PgUpdateSetSource } from 'drizzle-orm/pg-core'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import type { Db } from '../db/client.ts'
import { ERRORS, problem } from '../errors.ts'
import type { RequestContext } from './request-context.ts'
import { recordAudit } from '../db/audit.ts'
import { checkIfMatch, etagOf } from './etag.ts'
import { decodeCursor, keyset, toPage } from './pagination.ts'
import { DateTime, Uuid } from './schemas.ts'

/**
 * The mechanics every deactivatable, revisioned record shares (organizations, programs, cohorts,
 * trainees, supervisors, assignments): scoped lookup, keyset lists, audited create / update /
 * (de)activate, optional If-Match. Services keep the business rules; this keeps the plumbing.
 */
export interface Managed { id: string; active: boolean; revision: number; createdAt: Date; updatedAt: Date }

export type ManagedTable = PgTable & { id: PgColumn; active: PgColumn; revision: PgColumn; createdAt: PgColumn; updatedAt: PgColumn }

export type RowOf<T extends ManagedTable> = T['$inferSelect'] & Managed

/** Fields every managed record shows in the API (revision travels as the ETag instead). */
export const ManagedFields = {
  id: Uuid,
  active: Type.Boolean({ description: 'False once deactivated; deactivated records stay readable.' }),
  createdAt: DateTime,
  updatedAt: DateTime
}

export type Dto<R extends Managed> = Omit<R, 'revision' | 'createdAt' | 'updatedAt'> & { createdAt: string; updatedAt: string }

export function toDto<R extends Managed>(row: R): Dto<R> {
  const { revision: _revision, createdAt, updatedAt, ...rest } = row
  return { ...rest, createdAt: createdAt.toISOString(), updatedAt: updatedAt.toISOString() }
}

/** One record by id, within the caller's scope; `lock` holds it until the transaction ends. */
export async function findRow<T extends ManagedTable>(
  db: Db, table: T, id: string, scope: SQL | undefined, { lock = false } = {}
): Promise<RowOf<T> | undefined> {
  const query = db.select().from(table as PgTable).where(and(eq(table.id, id), scope))
  const rows = lock ? await query.for('update') : await query
  return rows[0] as RowOf<T> | undefined
}

export async function getRow<T extends ManagedTable>(
  db: Db, table: T, id: string, scope: SQL | undefined, what: string, options: { lock?: boolean } = {}
): Promise<RowOf<T>> {
  const row = await findRow(db, table, id, scope, options)
  if (!row) throw ERRORS.notFound(what, id)
  return row
}

/**
 * The record a write is about, locked until the transaction ends so concurrent writes queue up,
 * and checked against If-Match (optional here: honored when sent, so a stale edit is refused with 412).
 */
export async function lockForWrite<T extends ManagedTable>(
  tx: Db, table: T, id: string, scope: SQL | undefined, what: string, ifMatch: string | undefined
): Promise<RowOf<T>> {
  const row = await getRow(tx, table, id, scope, what, { lock: true })
  if (ifMatch !== undefined && ifMatch.trim() !== '') checkIfMatch(ifMatch, etagOf(row.id, row.revision))
  return row
}

/**
 * A referenced record (organizationId, cohortId, ...) must exist, be visible to the caller and be
 * active. Missing and out-of-scope read alike, so a reference never reveals what the caller may not see.
 */
export async function requireReference<T extends ManagedTable>(
  db: Db, table: T, id: string, scope: SQL | undefined, pointer: string, what: string
): Promise<RowOf<T>> {
  return checkReference(await findRow(db, table, id, scope), id, pointer, what)
}

/** requireReference's verdict on a row the caller read itself, within the caller's scope (one statement doing several checks). */
export function checkReference<R extends { active: boolean }>(row: R | undefined, id: string, pointer: string, what: string): R {
  if (!row) throw problem('reference-not-found', `The ${what} does not exist or is not visible to you.`, { errors: [{ pointer, detail: `no ${what} with id ${id}` }] })
  if (!row.active) throw problem('reference-deactivated', `The ${what} is deactivated.`, { errors: [{ pointer, detail: `${what} ${id} is deactivated` }] })
  return row
}

export interface PageRequest { limit: number; cursor?: string | undefined }

/** Newest first; `conditions` are ANDed (undefined entries are ignored). */
export async function listRows<T extends ManagedTable>(
  db: Db, table: T, conditions: (SQL | undefined)[], page: PageRequest
): Promise<{ items: RowOf<T>[]; nextCursor: string | null }> {
  const { where, orderBy } = keyset(table.createdAt, table.id, decodeCursor(page.cursor))
  const rows = await db.select().from(table as PgTable).where(and(...conditions, where)).orderBy(...orderBy).limit(page.limit + 1)
  return toPage(rows as RowOf<T>[], page.limit)
}

/** `active` filter: omitted lists both active and deactivated records. */
export const activeFilter = (table: ManagedTable, active: boolean | undefined): SQL | undefined =>
  active === undefined ? undefined : eq(table.active, active)

/** `q` filter: case-insensitive "contains" over any of the columns; % and _ are taken literally. */
export function containsText(columns: PgColumn[], q: string | undefined): SQL | undefined {
  if (q === undefined) return undefined
  const pattern = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
  return or(...columns.map((column) => ilike(column, pattern)))
}

export async function insertAudited<T extends ManagedTable>(
  tx: Db, ctx: RequestContext, table: T, objectType: string, values: T['$inferInsert']
): Promise<RowOf<T>> {
  const [row] = await tx.insert(table).values(values).returning() as RowOf<T>[]
  await recordAudit(tx, ctx, { action: `${objectType}.create`, objectType, objectId: row!.id, changes: values as Record<string, unknown> })
  return row!
}

export type Changes = Record<string, { from: unknown; to: unknown }>

/** The fields of `patch` that differ from `current`; fields absent from the patch are left alone. */
export function changedFields<R extends object>(current: R, patch: Partial<R>): Changes {
  const changes: Changes = {}
  for (const [field, to] of Object.entries(patch)) {
    const from = (current as Record<string, unknown>)[field]
    if (to !== undefined && to !== from) changes[field] = { from, to }
  }
  return changes
}

export interface UpdateOptions<T extends ManagedTable> {
  table: T
  objectType: string
  current: RowOf<T>
  patch: Partial<T['$inferInsert']>
  /** Audit action suffix; `update` unless (de)activating. */
  action?: string
}

/**
 * Writes only what changed, bumps the revision (the ETag) and audits `{ field: { from, to } }`, in
 * the caller's transaction. `current` comes from lockForWrite. A patch that changes nothing writes nothing.
 */
export async function updateAudited<T extends ManagedTable>(tx: Db, ctx: RequestContext, o: UpdateOptions<T>): Promise<RowOf<T>> {
  const changes = changedFields(o.current, o.patch as Partial<RowOf<T>>)
  if (Object.keys(changes).length === 0) return o.current
  const values = Object.fromEntries(Object.entries(changes).map(([field, c]) => [field, c.to]))
  // The database's clock, not this instance's: instances' clocks differ, and delta sync compares updated_at across them.
  const set = { ...values, revision: o.current.revision + 1, updatedAt: sql`now()` } as PgUpdateSetSource<T>
  const [row] = await tx.update(o.table as PgTable).set(set).where(eq(o.table.id, o.current.id)).returning() as RowOf<T>[]
  await recordAudit(tx, ctx, { action: `${o.objectType}.${o.action ?? 'update'}`, objectType: o.objectType, objectId: o.current.id, changes })
  return row!
}

/** Deactivate or reactivate: audited like any update; already in that state answers unchanged. */
export function setActiveAudited<T extends ManagedTable>(
  tx: Db, ctx: RequestContext, o: Omit<UpdateOptions<T>, 'patch' | 'action'> & { active: boolean }
): Promise<RowOf<T>> {
  const patch = { active: o.active } as Partial<T['$inferInsert']>
  return updateAudited(tx, ctx, { ...o, patch, action: o.active ? 'reactivate' : 'deactivate' })
}

/** A whole deactivate / reactivate request: its own transaction, the record locked while it changes. */
export function setActiveInScope<T extends ManagedTable>(db: Db, ctx: RequestContext, o: {
  table: T; objectType: string; scope: SQL | undefined; id: string; active: boolean; ifMatch: string | undefined
  /** Rules to check before the change is written (throw to refuse). */
  check?: (tx: Db, current: RowOf<T>) => Promise<void>
  /** What else the change writes, in its transaction (its events); not called when nothing changed. */
  after?: (tx: Db, current: RowOf<T>, row: RowOf<T>) => Promise<void>
}): Promise<RowOf<T>> {
  return db.transaction(async (tx) => {
    const current = await lockForWrite(tx, o.table, o.id, o.scope, o.objectType, o.ifMatch)
    if (o.check && current.active !== o.active) await o.check(tx, current)
    const row = await setActiveAudited(tx, ctx, { ...o, current })
    if (o.after && row.active !== current.active) await o.after(tx, current, row)
    return row
  })
}

/** Route side: the If-Match header, if any. */
export const ifMatchOf = (request: FastifyRequest): string | undefined => request.headers['if-match']

/** Route side: a single record goes out with its ETag. */
export function withEtag<R extends Managed>(reply: FastifyReply, row: R): Dto<R> {
  void reply.header('etag', etagOf(row.id, row.revision))
  return toDto(row)
}
