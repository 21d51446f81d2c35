import type { Db } from '../../db/client.ts'
import { ERRORS } from '../../errors.ts'
import { changedFields, toDto, type Changes } from '../../lib/crud.ts'
import { checkIfMatch, etagOf } from '../../lib/etag.ts'
import { decodeCursor, toPage } from '../../lib/pagination.ts'
import { recordAudit } from '../../db/audit.ts'
import { coordinatorAccountProblems } from './coordinator-accounts.ts'
import { canonicalIds, canonicalLinks, programProblems, roleLinkProblems } from './account-links.ts'
import {
  findAccount, insertAccount, listAccounts as selectAccounts, lockAccount, lockActiveAdmins, replacePrograms, updateAccount,
  type AccountRow
} from './accounts-repository.ts'
import type { Account, AccountListFilter, CreateAccountInput, UpdateAccountInput } from './accounts-schemas.ts'
import type { RequestContext } from '../../lib/request-context.ts'

/** Services return rows (their revision makes the ETag); this is what the API shows of one. */
export const toAccount = (row: AccountRow): Account => toDto(row)

/** If-Match is optional on accounts: honored when sent, so a stale edit is refused (412). */
function honorIfMatch(ifMatch: string | undefined, row: AccountRow): void {
  if (ifMatch !== undefined && ifMatch.trim() !== '') checkIfMatch(ifMatch, etagOf(row.id, row.revision))
}

async function getRow(db: Db, id: string): Promise<AccountRow> {
  const row = await findAccount(db, id)
  if (!row) throw ERRORS.notFound('account', id)
  return row
}

export async function createAccount(db: Db, ctx: RequestContext, request: CreateAccountInput): Promise<AccountRow> {
  const input = canonicalLinks(request)
  return db.transaction(async (tx) => {
    const problems = [...await roleLinkProblems(tx, input), ...await coordinatorAccountProblems(tx, ctx.principal, input)]
    if (problems.length > 0) throw ERRORS.unprocessable(`The links do not fit role ${input.role}.`, problems)
    const values = {
      role: input.role,
      name: input.name,
      email: input.email ?? null,
      supervisorId: input.supervisorId ?? null,
      traineeId: input.traineeId ?? null,
      organizationId: input.organizationId ?? null
    }
    const id = await insertAccount(tx, values)
    const programIds = input.role === 'coordinator' ? canonicalIds(input.programIds ?? []) : []
    await replacePrograms(tx, id, programIds)
    const changes = Object.fromEntries(Object.entries({ ...values, programIds }).filter(([, v]) => v !== null))
    await recordAudit(tx, ctx, { action: 'account.create', objectType: 'account', objectId: id, changes })
    return getRow(tx, id)
  })
}

export async function getAccount(db: Db, id: string): Promise<AccountRow> {
  return getRow(db, id)
}

export async function listAccounts(db: Db, filter: AccountListFilter): Promise<{ items: AccountRow[]; nextCursor: string | null }> {
  return toPage(await selectAccounts(db, { ...filter, cursor: decodeCursor(filter.cursor) }), filter.limit)
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x))

/** Name, email and (for coordinators) programmes; a patch that changes nothing writes nothing. */
export async function updateAccountFields(
  db: Db, ctx: RequestContext, id: string, patch: UpdateAccountInput, ifMatch: string | undefined
): Promise<AccountRow> {
  return db.transaction(async (tx) => {
    if (!await lockAccount(tx, id)) throw ERRORS.notFound('account', id)
    const current = await getRow(tx, id)
    honorIfMatch(ifMatch, current)
    const problems = await programProblems(tx, current.role, patch.programIds)
    if (problems.length > 0) throw ERRORS.unprocessable('The programmes cannot be set on this account.', problems)

    const changes: Changes = changedFields(current, { name: patch.name, email: patch.email })
    const programIds = patch.programIds && canonicalIds(patch.programIds)
    if (programIds && !sameSet(programIds, current.programIds)) changes.programIds = { from: current.programIds, to: programIds }
    if (Object.keys(changes).length === 0) return current

    await updateAccount(tx, id, { name: patch.name, email: patch.email })
    if (changes.programIds) await replacePrograms(tx, id, programIds!)
    await recordAudit(tx, ctx, { action: 'account.update', objectType: 'account', objectId: id, changes })
    return getRow(tx, id)
  })
}

/**
 * Deactivated accounts cannot authenticate (their keys answer 401 at once) but keep their keys, so
 * reactivation restores access; revoke keys that may have leaked. The last active admin stays.
 */
export async function setAccountActive(
  db: Db, ctx: RequestContext, id: string, active: boolean, ifMatch: string | undefined
): Promise<AccountRow> {
  return db.transaction(async (tx) => {
    const target = await getRow(tx, id)
    // Admin rows are locked together, in one order, before the target: see lockActiveAdmins.
    const activeAdmins = target.role === 'admin' && !active ? await lockActiveAdmins(tx) : []
    await lockAccount(tx, id)
    const current = await getRow(tx, id)
    honorIfMatch(ifMatch, current)
    if (current.active === active) return current
    if (current.role === 'admin' && !active && activeAdmins.every((adminId) => adminId === id)) {
      throw ERRORS.conflict('This is the last active admin account; create or reactivate another admin first.')
    }
    await updateAccount(tx, id, { active })
    await recordAudit(tx, ctx, {
      action: active ? 'account.reactivate' : 'account.deactivate',
      objectType: 'account',
      objectId: id,
      changes: { active: { from: !active, to: active } }
    })
    return getRow(tx, id)
  })
}
