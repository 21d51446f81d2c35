import type { SQL } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { ERRORS, problem, type FieldProblem } from '../../errors.ts'
import { changedFields, toDto, type Changes } from '../../lib/crud.ts'
import { checkIfMatch, etagOf } from '../../lib/etag.ts'
import { decodeCursor, toPage } from '../../lib/pagination.ts'
import { recordAudit } from '../../db/audit.ts'
import { coordinatorAccountProblems } from './coordinator-accounts.ts'
import { canonicalIds, canonicalLinks, programProblems, roleLinkProblems } from './account-links.ts'
import { accountScope } from '../access/policy.ts'
import { accounts } from '../../db/schema/index.ts'
import { visibleExisting } from '../../lib/existing-record.ts'
import {
  accountOfPerson, accountWithEmail, findAccount, insertAccount, lockPerson, listAccounts as selectAccounts, lockAccount, lockActiveAdmins, replacePrograms, updateAccount,
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

async function getRow(db: Db, id: string, scope?: SQL): Promise<AccountRow> {
  const row = await findAccount(db, id, scope)
  if (!row) throw ERRORS.notFound('account', id)
  return row
}

/** The person an account belongs to (trainee or supervisor accounts), if any. */
function personOf(row: { supervisorId: string | null; traineeId: string | null }) {
  if (row.traineeId) return { kind: 'trainee' as const, id: row.traineeId }
  if (row.supervisorId) return { kind: 'supervisor' as const, id: row.supervisorId }
  return undefined
}

/**
 * One account per person (a second could borrow the first one's observations), and none for a deactivated
 * person. The person is locked, so two requests cannot both pass. The person is in the caller's scope
 * (checked before), and so is their account: the 409 names it.
 */
async function checkPersonMayHaveAccount(tx: Db, input: CreateAccountInput): Promise<void> {
  const person = personOf({ supervisorId: input.supervisorId ?? null, traineeId: input.traineeId ?? null })
  if (!person) return
  const record = await lockPerson(tx, person.kind, person.id)
  if (record && !record.active) throw problem('person-deactivated', `The ${person.kind} is deactivated; reactivate the ${person.kind} first.`)
  const existing = await accountOfPerson(tx, person.kind, person.id)
  if (existing) {
    throw problem('person-has-account', `This ${person.kind} already has an account (${existing}); a person has one account.`,
      { errors: [{ pointer: `/${person.kind}Id`, detail: `already has account ${existing}` }], extensions: { accountId: existing, existingId: existing, existingUrl: `/v1/accounts/${existing}` } })
  }
}

/**
 * One account per email (people sign in with it): 409 email-taken, naming the account that has it
 * only when the caller may see that account (accountScope), else saying only that it is taken.
 */
async function checkEmailFree(tx: Db, ctx: RequestContext, email: string | null | undefined, exceptId?: string): Promise<void> {
  if (email == null) return
  const holder = await accountWithEmail(tx, email, exceptId)
  if (holder === undefined) return
  const existing = await visibleExisting(tx, accounts, holder, accountScope(ctx.principal), '/v1/accounts')
  throw problem('email-taken', existing
    ? `Account ${existing.existingId} already signs in with this email; an email belongs to one account.`
    : 'Another account already signs in with this email; an email belongs to one account.',
  { errors: [{ pointer: '/email', detail: 'is taken by another account' }], ...(existing ? { extensions: { ...existing } } : {}) })
}

/** The same field can be wrong for two reasons (unknown, and so outside a coordinator's scope): say it once. */
const onePerPointer = (problems: FieldProblem[]) => problems.filter((x, i) => problems.findIndex((y) => y.pointer === x.pointer) === i)

export async function createAccount(db: Db, ctx: RequestContext, request: CreateAccountInput): Promise<AccountRow> {
  const input = canonicalLinks(request)
  return db.transaction(async (tx) => {
    const problems = onePerPointer([...await roleLinkProblems(tx, input), ...await coordinatorAccountProblems(tx, ctx.principal, input)])
    if (problems.length > 0) throw problem('account-links-invalid', `The links do not fit role ${input.role}.`, { errors: problems })
    await checkPersonMayHaveAccount(tx, input)
    await checkEmailFree(tx, ctx, input.email)
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

/** Admins any account; coordinators those of the people in their scope (see accountScope). */
export async function getAccount(db: Db, ctx: RequestContext, id: string): Promise<AccountRow> {
  return getRow(db, id, accountScope(ctx.principal))
}

export async function listAccounts(db: Db, ctx: RequestContext, filter: AccountListFilter): Promise<{ items: AccountRow[]; nextCursor: string | null }> {
  return toPage(await selectAccounts(db, { ...filter, cursor: decodeCursor(filter.cursor), scope: accountScope(ctx.principal) }), filter.limit)
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
    if (problems.length > 0) throw problem('account-links-invalid', 'The programmes cannot be set on this account.', { errors: problems })

    const changes: Changes = changedFields(current, { name: patch.name, email: patch.email })
    const programIds = patch.programIds && canonicalIds(patch.programIds)
    if (programIds && !sameSet(programIds, current.programIds)) changes.programIds = { from: current.programIds, to: programIds }
    if (Object.keys(changes).length === 0) return current
    if (changes.email) await checkEmailFree(tx, ctx, patch.email, id)

    await updateAccount(tx, id, { name: patch.name, email: patch.email })
    if (changes.programIds) await replacePrograms(tx, id, programIds!)
    await recordAudit(tx, ctx, { action: 'account.update', objectType: 'account', objectId: id, changes })
    return getRow(tx, id)
  })
}

/**
 * Deactivated accounts cannot authenticate (their keys answer 401 at once) but keep their keys, so
 * reactivation restores access; revoke keys that may have leaked. The last active admin stays.
 * Coordinators reactivate the accounts in their scope (after a person's deactivation was undone);
 * a person whose record is still deactivated gets no access back.
 */
export async function setAccountActive(
  db: Db, ctx: RequestContext, id: string, active: boolean, ifMatch: string | undefined
): Promise<AccountRow> {
  return db.transaction(async (tx) => {
    const target = await getRow(tx, id, accountScope(ctx.principal))
    // A coordinator sees their own account and their organizations' integrations, but restores only people's.
    if ((await coordinatorAccountProblems(tx, ctx.principal, target)).length > 0) throw ERRORS.notFound('account', id)
    // Admin rows are locked together, in one order, before the target: see lockActiveAdmins.
    const activeAdmins = target.role === 'admin' && !active ? await lockActiveAdmins(tx) : []
    // The person before the account, in the order a deactivation of the person takes them.
    const person = personOf(target)
    const personRecord = active && person ? await lockPerson(tx, person.kind, person.id) : undefined
    await lockAccount(tx, id)
    const current = await getRow(tx, id)
    honorIfMatch(ifMatch, current)
    if (current.active === active) return current
    if (current.role === 'admin' && !active && activeAdmins.every((adminId) => adminId === id)) {
      throw problem('last-admin', 'This is the last active admin account; create or reactivate another admin first.')
    }
    if (active && (current.role === 'trainee' || current.role === 'supervisor') && !person) {
      throw problem('account-unlinked', 'This account was unlinked as a second account of its person; use the person\'s other account.')
    }
    if (person && personRecord && !personRecord.active) {
      throw problem('person-deactivated', `The ${person.kind} is deactivated; reactivate the ${person.kind} first.`)
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
