import { and, asc, eq, inArray, ne, notInArray, sql, type SQL } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { accounts, coordinatorPrograms, organizations, programs, supervisors, trainees } from '../../db/schema/index.ts'
import { keyset, type Cursor } from '../../lib/pagination.ts'
import type { Role } from '../../lib/request-context.ts'

const programIdsOf = sql<string[]>`coalesce((
  select array_agg(${coordinatorPrograms.programId}::text order by ${coordinatorPrograms.programId})
  from ${coordinatorPrograms} where ${coordinatorPrograms.accountId} = ${accounts.id}), '{}')`

const accountColumns = {
  id: accounts.id,
  role: accounts.role,
  name: accounts.name,
  email: accounts.email,
  supervisorId: accounts.supervisorId,
  traineeId: accounts.traineeId,
  organizationId: accounts.organizationId,
  programIds: programIdsOf,
  active: accounts.active,
  revision: accounts.revision,
  createdAt: accounts.createdAt,
  updatedAt: accounts.updatedAt
}

export type AccountRow = NonNullable<Awaited<ReturnType<typeof findAccount>>>

/** `scope` (accountScope of the caller) makes an account outside it read as missing. */
export async function findAccount(db: Db, id: string, scope?: SQL) {
  const [row] = await db.select(accountColumns).from(accounts).where(and(eq(accounts.id, id), scope))
  return row
}

/** The account that signs in with this email (matched case-insensitively, as the unique index does), if any. */
export async function accountWithEmail(db: Db, email: string, exceptId?: string): Promise<string | undefined> {
  const [row] = await db.select({ id: accounts.id }).from(accounts)
    .where(and(sql`lower(${accounts.email}) = lower(${email})`, exceptId === undefined ? undefined : ne(accounts.id, exceptId))).limit(1)
  return row?.id
}

/** The account a trainee or supervisor record already has, if any (one per person). */
export async function accountOfPerson(db: Db, kind: 'trainee' | 'supervisor', personId: string): Promise<string | undefined> {
  const [row] = await db.select({ id: accounts.id }).from(accounts)
    .where(eq(kind === 'trainee' ? accounts.traineeId : accounts.supervisorId, personId))
  return row?.id
}

/**
 * The person record, locked until the transaction ends, and whether it is active: giving or restoring
 * an account waits for another account being given, or for a deactivation of the person in progress.
 */
export async function lockPerson(db: Db, kind: 'trainee' | 'supervisor', personId: string): Promise<{ active: boolean } | undefined> {
  const table = kind === 'trainee' ? trainees : supervisors
  const [row] = await db.select({ active: table.active }).from(table).where(eq(table.id, personId)).for('update')
  return row
}

/** Locks the row until the transaction ends, so concurrent edits of one account serialize. */
export async function lockAccount(db: Db, id: string): Promise<{ id: string; active: boolean } | undefined> {
  const [row] = await db.select({ id: accounts.id, active: accounts.active }).from(accounts).where(eq(accounts.id, id)).for('update')
  return row
}

export interface AccountListOptions {
  role?: Role
  active?: boolean
  cursor?: Cursor
  limit: number
  /** The caller's accountScope. */
  scope?: SQL | undefined
}

export async function listAccounts(db: Db, { role, active, cursor, limit, scope }: AccountListOptions) {
  const page = keyset(accounts.createdAt, accounts.id, cursor)
  return db.select(accountColumns).from(accounts)
    .where(and(
      role === undefined ? undefined : eq(accounts.role, role),
      active === undefined ? undefined : eq(accounts.active, active),
      scope,
      page.where
    ))
    .orderBy(...page.orderBy)
    .limit(limit + 1)
}

export async function insertAccount(db: Db, values: typeof accounts.$inferInsert): Promise<string> {
  const [row] = await db.insert(accounts).values(values).returning({ id: accounts.id })
  return row!.id
}

/** Every change bumps the revision, which the ETag is made of. */
export async function updateAccount(db: Db, id: string, set: Partial<Pick<typeof accounts.$inferInsert, 'name' | 'email' | 'active'>>): Promise<void> {
  await db.update(accounts)
    .set({ ...set, revision: sql`${accounts.revision} + 1`, updatedAt: sql`now()` })
    .where(eq(accounts.id, id))
}

/** Makes the coordinator's programmes exactly `programIds`. */
export async function replacePrograms(db: Db, accountId: string, programIds: string[]): Promise<void> {
  await db.delete(coordinatorPrograms).where(and(
    eq(coordinatorPrograms.accountId, accountId),
    programIds.length === 0 ? undefined : notInArray(coordinatorPrograms.programId, programIds)
  ))
  if (programIds.length === 0) return
  await db.insert(coordinatorPrograms)
    .values(programIds.map((programId) => ({ accountId, programId })))
    .onConflictDoNothing()
}

/**
 * The active admins, locked: two admins deactivating each other at the same moment wait for one
 * another, and the second sees the first's change, so the last admin always survives.
 */
export async function lockActiveAdmins(db: Db): Promise<string[]> {
  const rows = await db.select({ id: accounts.id }).from(accounts)
    .where(and(eq(accounts.role, 'admin'), eq(accounts.active, true)))
    .orderBy(asc(accounts.id))
    .for('update')
  return rows.map((r) => r.id)
}

const LINKED = { supervisor: supervisors, trainee: trainees, organization: organizations, program: programs } as const
export type LinkedKind = keyof typeof LINKED

/** Which of `ids` exist as records of the kind. */
export async function existingIds(db: Db, kind: LinkedKind, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set()
  const table = LINKED[kind]
  const rows: { id: string }[] = await db.select({ id: table.id }).from(table).where(inArray(table.id, ids) as SQL)
  return new Set(rows.map((r) => r.id))
}
