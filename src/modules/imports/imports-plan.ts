import { and, eq, inArray, isNotNull, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { supervisors, trainees } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { RowOf } from '../../lib/crud.ts'
import type { Principal } from '../../lib/request-context.ts'
import { checkTraineePlacement } from '../trainees/trainees-service.ts'
import type { RawRow } from './imports-parse.ts'
import { checkRow, type ImportRowInput, type RowProblem } from './imports-rows.ts'
import type { ImportAction } from './imports-schemas.ts'

export type Kind = 'trainee' | 'supervisor'
type Person = RowOf<typeof trainees> | RowOf<typeof supervisors>
const TABLES = { trainee: trainees, supervisor: supervisors } as const

/** What the import does with one row (or one person absent from a full sync). */
export interface PlannedRow {
  line: number | null
  action: ImportAction
  kind: Kind | null
  externalHrId: string | null
  message: string
  field?: string | undefined
  input?: ImportRowInput
  existing?: Person
  /** The fields an update writes. */
  patch?: Record<string, unknown>
}

/** Lookups go by batches of this many values: one query per batch, never one per row. */
const BATCH = 1000

function batches<T>(values: T[]): T[][] {
  const out: T[][] = []
  for (let i = 0; i < values.length; i += BATCH) out.push(values.slice(i, i + BATCH))
  return out
}

/** The organization's people holding these HR ids, locked when the plan is to be applied. */
async function byHrId(tx: Db, kind: Kind, organizationId: string, ids: string[], lock: boolean): Promise<Map<string, Person>> {
  const table = TABLES[kind]
  const found = new Map<string, Person>()
  for (const batch of batches(ids)) {
    const query = tx.select().from(table).where(and(eq(table.organizationId, organizationId), inArray(table.externalHrId, batch)))
    for (const row of await (lock ? query.for('update') : query)) found.set(row.externalHrId!, row as Person)
  }
  return found
}

/** Who of the organization already has each email (case-insensitive): another person's email is an error row. */
async function byEmail(tx: Db, organizationId: string, emails: string[]): Promise<Map<string, { kind: Kind; id: string; externalHrId: string | null }>> {
  const found = new Map<string, { kind: Kind; id: string; externalHrId: string | null }>()
  for (const kind of ['trainee', 'supervisor'] as const) {
    const table = TABLES[kind]
    for (const batch of batches(emails)) {
      const rows = await tx.select({ id: table.id, email: table.email, externalHrId: table.externalHrId }).from(table)
        .where(and(eq(table.organizationId, organizationId), inArray(sql`lower(${table.email})`, batch)))
      for (const r of rows) found.set(r.email.toLowerCase(), { kind, id: r.id, externalHrId: r.externalHrId })
    }
  }
  return found
}

/** Coordinators add and edit supervisors but do not retire them (as under /v1/supervisors); trainees they may. */
const mayDeactivate = (p: Principal, kind: Kind): boolean => kind === 'trainee' || p.role !== 'coordinator'

function changesOf(input: ImportRowInput, existing: Person): Record<string, unknown> {
  const patch: Record<string, unknown> = {}
  if (input.name !== existing.name) patch.name = input.name
  if (input.email !== existing.email) patch.email = input.email
  if (input.discipline !== undefined && input.discipline !== existing.discipline) patch.discipline = input.discipline
  if (input.cohortId !== undefined && 'cohortId' in existing && input.cohortId !== existing.cohortId) patch.cohortId = input.cohortId
  if (input.active !== undefined && input.active !== existing.active) patch.active = input.active
  return patch
}

const error = (row: { line: number | null; externalHrId: string | null; kind: Kind | null }, p: RowProblem): PlannedRow =>
  ({ ...row, action: 'error', message: p.message, field: p.field })

/**
 * The whole plan of an import, row by row, in the caller's transaction: checks each row, finds the
 * people it names by HR id (per organization and role, exactly as written), and decides create,
 * update, unchanged, deactivate or error. Placement is checked by the trainees' own rules, once per
 * distinct cohort and situation. With `full`, the active people of the roles in the file whose HR
 * id is absent from it are planned for deactivation (people with no HR id are not the HR system's).
 */
export async function planImport(tx: Db, p: Principal, organizationId: string, raw: RawRow[], o: { full: boolean; lock: boolean }): Promise<PlannedRow[]> {
  const checked = raw.map((row) => ({ row, result: checkRow(row) }))
  const firstLine = new Map<string, number>()
  const emailLine = new Map<string, number>()
  // Both roles for every id: a supervisor's HR id on a trainee row is a role change, which is refused.
  const ids = [...new Set(checked.flatMap(({ result }) => ('input' in result ? [result.input.externalHrId] : [])))]
  const existing = {
    trainee: await byHrId(tx, 'trainee', organizationId, ids, o.lock),
    supervisor: await byHrId(tx, 'supervisor', organizationId, ids, o.lock)
  }
  const emails = await byEmail(tx, organizationId, [...new Set(checked.flatMap(({ result }) => 'input' in result ? [result.input.email.toLowerCase()] : []))])
  const placements = new Map<string, string | null>()

  const planned: PlannedRow[] = []
  for (const { row, result } of checked) {
    const sentId = typeof row.cells.externalHrId === 'string' ? row.cells.externalHrId : null
    if ('problem' in result) { planned.push(error({ line: row.line, externalHrId: sentId, kind: null }, result.problem)); continue }
    const input = result.input
    const at = { line: row.line, externalHrId: input.externalHrId, kind: input.role }
    const earlier = firstLine.get(input.externalHrId)
    if (earlier !== undefined) { planned.push(error(at, { field: 'externalHrId', message: `HR id ${input.externalHrId} appears already on line ${earlier}` })); continue }
    firstLine.set(input.externalHrId, row.line)
    const other = input.role === 'trainee' ? 'supervisor' : 'trainee'
    if (existing[other].has(input.externalHrId)) {
      planned.push(error(at, { field: 'role', message: `HR id ${input.externalHrId} is a ${other} of this organization; an import does not change a person's role` }))
      continue
    }
    const current = existing[input.role].get(input.externalHrId)
    const email = input.email.toLowerCase()
    const holder = emails.get(email)
    if (holder && holder.id !== current?.id) {
      planned.push(error(at, { field: 'email', message: `${input.email} is the email of another ${holder.kind}${holder.externalHrId === null ? '' : ` (HR id ${holder.externalHrId})`}` }))
      continue
    }
    const sameEmail = emailLine.get(email)
    if (sameEmail !== undefined) { planned.push(error(at, { field: 'email', message: `${input.email} is already the email on line ${sameEmail}` })); continue }
    emailLine.set(email, row.line)
    if (input.role === 'supervisor' && input.cohortId !== undefined) {
      planned.push(error(at, { field: 'cohortId', message: 'supervisors are not placed in cohorts; leave cohortId empty' }))
      continue
    }
    if (input.role === 'trainee') {
      const placement = await placementProblem(tx, p, organizationId, input.cohortId, current as RowOf<typeof trainees> | undefined, placements)
      if (placement !== null) { planned.push(error(at, { field: 'cohortId', message: placement })); continue }
    }
    if (!current) { planned.push({ ...at, action: 'create', input, message: `new ${input.role}` }); continue }
    const patch = changesOf(input, current)
    const fields = Object.keys(patch).filter((f) => f !== 'active')
    if (patch.active === false && !mayDeactivate(p, input.role)) {
      planned.push(error(at, { field: 'active', message: 'coordinators do not deactivate supervisors; an integrator or admin does' }))
      continue
    }
    const action: ImportAction = Object.keys(patch).length === 0 ? 'unchanged' : patch.active === false ? 'deactivate' : 'update'
    const words = [...(patch.active === true ? ['reactivated'] : []), ...(fields.length > 0 ? [`changes ${fields.join(', ')}`] : [])]
    planned.push({ ...at, action, input, existing: current, patch, message: action === 'unchanged' ? 'no change' : action === 'deactivate' ? ['deactivated', ...words].join('; ') : words.join('; ') })
  }
  if (o.full) planned.push(...await absentees(tx, p, organizationId, planned, o.lock))
  return planned
}

/** The placement rules' answer for a trainee row, remembered per situation (most rows share a cohort). */
async function placementProblem(
  tx: Db, p: Principal, organizationId: string, cohortId: string | undefined, current: RowOf<typeof trainees> | undefined, memo: Map<string, string | null>
): Promise<string | null> {
  const key = `${current === undefined}|${cohortId ?? ''}|${current?.cohortId ?? ''}`
  if (!memo.has(key)) {
    try {
      await checkTraineePlacement(tx, p, organizationId, cohortId, current)
      memo.set(key, null)
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err
      memo.set(key, err.message)
    }
  }
  return memo.get(key) ?? null
}

async function absentees(tx: Db, p: Principal, organizationId: string, planned: PlannedRow[], lock: boolean): Promise<PlannedRow[]> {
  const out: PlannedRow[] = []
  const inFile = new Set(planned.flatMap((r) => (r.externalHrId === null ? [] : [r.externalHrId])))
  const kinds = new Set(planned.flatMap((r) => (r.kind === null ? [] : [r.kind])))
  for (const kind of ['trainee', 'supervisor'] as const) {
    if (!kinds.has(kind)) continue
    const table = TABLES[kind]
    const query = tx.select().from(table).where(and(eq(table.organizationId, organizationId), eq(table.active, true), isNotNull(table.externalHrId)))
      .orderBy(table.externalHrId)
    for (const person of await (lock ? query.for('update') : query) as Person[]) {
      if (inFile.has(person.externalHrId!)) continue
      const at = { line: null, externalHrId: person.externalHrId, kind }
      out.push(mayDeactivate(p, kind)
        ? { ...at, action: 'deactivate', existing: person, patch: { active: false }, message: `deactivated: absent from the file (${person.name})` }
        : error(at, { message: `absent from the file, but coordinators do not deactivate supervisors; an integrator or admin does` }))
    }
  }
  return out
}
