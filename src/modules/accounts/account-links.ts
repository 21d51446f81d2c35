import type { Db } from '../../db/client.ts'
import type { FieldProblem } from '../../errors.ts'
import { existingIds, type LinkedKind } from './accounts-repository.ts'
import type { CreateAccountInput } from './accounts-schemas.ts'
import type { Role } from '../../lib/request-context.ts'

/**
 * An account's scope comes from the record its role links to. Each link is required for its role
 * and refused for every other, mirroring the accounts_scope check constraint, but answered field by
 * field (422 with pointers) instead of as one anonymous constraint violation.
 */
const LINKS = [
  { field: 'supervisorId', kind: 'supervisor', role: 'supervisor' },
  { field: 'traineeId', kind: 'trainee', role: 'trainee' },
  { field: 'organizationId', kind: 'organization', role: 'integrator' }
] as const satisfies readonly { field: keyof CreateAccountInput; kind: LinkedKind; role: Role }[]

/** Ids as Postgres prints them (lower case), so comparisons and audit rows agree. Order is kept for pointers. */
const lowerAll = (ids: string[]): string[] => ids.map((id) => id.toLowerCase())

/** A set of ids as stored and reported: lower case, sorted, no repeats. */
export const canonicalIds = (ids: string[]): string[] => [...new Set(lowerAll(ids))].sort()

export function canonicalLinks(input: CreateAccountInput): CreateAccountInput {
  const lower = (id: string | null | undefined) => id?.toLowerCase() ?? null
  return {
    ...input,
    supervisorId: lower(input.supervisorId),
    traineeId: lower(input.traineeId),
    organizationId: lower(input.organizationId),
    ...(input.programIds ? { programIds: lowerAll(input.programIds) } : {})
  }
}

/** Expects canonical ids (see canonicalLinks). */
export async function roleLinkProblems(db: Db, input: CreateAccountInput): Promise<FieldProblem[]> {
  const problems: FieldProblem[] = []
  for (const link of LINKS) {
    const value = input[link.field] ?? null
    const pointer = `/${link.field}`
    if (input.role !== link.role) {
      if (value !== null) problems.push({ pointer, detail: `is not allowed for role ${input.role} (only ${link.role} accounts link to a ${link.kind})` })
    } else if (value === null) {
      problems.push({ pointer, detail: `is required for role ${link.role}` })
    } else if (!(await existingIds(db, link.kind, [value])).has(value)) {
      problems.push({ pointer, detail: `no ${link.kind} with id ${value}` })
    }
  }
  problems.push(...await programProblems(db, input.role, input.programIds))
  return problems
}

/** Only coordinators have programmes, and each one named must exist. */
export async function programProblems(db: Db, role: Role, programIds: string[] | undefined): Promise<FieldProblem[]> {
  if (programIds === undefined || programIds.length === 0) return []
  if (role !== 'coordinator') {
    return [{ pointer: '/programIds', detail: `is not allowed for role ${role} (only coordinator accounts have programmes)` }]
  }
  const found = await existingIds(db, 'program', programIds)
  return lowerAll(programIds).flatMap((id, i) => found.has(id) ? [] : [{ pointer: `/programIds/${i}`, detail: `no program with id ${id}` }])
}
