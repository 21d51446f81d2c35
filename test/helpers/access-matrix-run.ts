import type { Test } from 'tap'
import { buildTestApp } from './app.ts'
import { bIdsIn, describe, freshPool, is2xx, send, shapesOf, slotsOf, type FreshPool, type RoleName, type Shape } from './access-matrix.ts'
import { isList, loadOperations, type Operation } from './openapi-operations.ts'
import { freshMaker } from './tenancy-fresh.ts'
import { buildTenancyWorld, ROLES, type TenancyWorld } from './tenancy-world.ts'

/** Generated tests send far more requests per minute than any person; the limits are not under test here. */
export const NO_RATE_LIMITS = { RATE_LIMIT_PER_MINUTE: '1000000', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000' }

/**
 * The matrix is split by OpenAPI tag into files that each fit tap's time limit; `rest` takes every
 * tag the others do not name, so a new tag is never left out.
 */
export const MATRIX_GROUPS = {
  structure: ['organizations', 'programs', 'people'],
  observations: ['observations', 'reports'],
  credentials: ['integrations', 'certificates', 'eligibility'],
  rest: null
} as const

export const inGroup = (op: Operation, group: keyof typeof MATRIX_GROUPS) => {
  const named = MATRIX_GROUPS[group]
  if (named) return op.tags.some((tag) => (named as readonly string[]).includes(tag))
  const claimed = Object.values(MATRIX_GROUPS).flatMap((tags) => tags ?? []) as string[]
  return !op.tags.some((tag) => claimed.includes(tag))
}

/**
 * What of A's own objects a role does not see: drafts are their supervisor's alone until submitted.
 * Any other read of A's objects (programs too: integrators read those serving their organization)
 * answers 2xx, or 403 when the role may never, or 409 for a state (a draft has no PDF): so the
 * matrix cannot pass by answering 404.
 */
const UNSEEN: Partial<Record<RoleName, string[]>> = { trainee: ['draft'], integrator: ['draft'] }

function readable(role: RoleName, op: Operation, shape: Shape, status: number): boolean {
  if (status < 300 || status === 403 || status === 409 || role === 'admin') return true
  const unseen = UNSEEN[role] ?? []
  return shape.slots.some((s) => s.where === 'path' && (unseen.includes(s.kind) || unseen.includes(shape.shapes[s.name] ?? '')))
}

/**
 * One operation as every role of A: first with A's objects; then, for each reference in turn, with
 * that one pointing into B. A path or body reference to B must never answer 2xx; a filter naming B
 * may answer, but with nothing of B in it. An admin sees everything, so for them B's objects must
 * answer as A's do: proof that the B fixtures are real and the refusals mean something.
 */
async function checkOperation(t: Test, w: TenancyWorld, pool: FreshPool, op: Operation): Promise<string[]> {
  const shapes = shapesOf(op)
  const inScope = new Set<RoleName>()
  const firstAnswers: Record<string, string> = {}
  const unreadable: unknown[] = []
  const leaking: string[] = []
  for (const role of ROLES) {
    const leaks: unknown[] = []
    const mismatches: unknown[] = []
    for (const shape of shapes) {
      const a = await send(w, pool, op, shape, role, {})
      if (op.method === 'GET' && !readable(role, op, shape, a.res.statusCode)) unreadable.push(describe(role, a.sent, a.res))
      firstAnswers[role] ??= `${a.sent.method} ${a.sent.url} -> ${a.res.statusCode} ${a.res.body.slice(0, 160)}`
      if (is2xx(a.res)) inScope.add(role)
      if (role === 'admin') {
        if (!is2xx(a.res)) continue
        const b = await send(w, pool, op, shape, role, Object.fromEntries(shape.slots.map((s) => [s.name, 'B'])))
        if (!is2xx(b.res)) mismatches.push({ a: describe(role, a.sent, a.res), b: describe(role, b.sent, b.res) })
        continue
      }
      const seen = bIdsIn(w, a.res)
      if (is2xx(a.res) && seen.length > 0) leaks.push({ ...describe(role, a.sent, a.res), bIds: seen })
      // What the role may not do with A's own objects it will not do with B's: the question is
      // whether what it may do stops at A's wall.
      if (!is2xx(a.res)) continue
      for (const slot of shape.slots) {
        const b = await send(w, pool, op, shape, role, { [slot.name]: 'B' })
        const leak = slot.where === 'query' ? is2xx(b.res) && bIdsIn(w, b.res).length > 0 : is2xx(b.res)
        if (leak) leaks.push({ reference: `${slot.where} ${slot.name} from B`, ...describe(role, b.sent, b.res) })
      }
    }
    if (role === 'admin') t.same(mismatches, [], `admin ${op.operationId}: B's objects answer as A's do`)
    else t.same(leaks, [], `${role} of A ${op.operationId}: nothing of B`)
    if (leaks.length > 0) leaking.push(`${role} ${op.operationId}`)
  }
  t.same(unreadable, [], `${op.operationId}: every role reads A's own objects, or is refused outright (403)`)
  t.ok(inScope.size > 0, `${op.operationId}: some role succeeds with A's own objects (${[...inScope].join(', ') || 'none'})`, { firstAnswers })
  return leaking
}

/** The access matrix over the operations of one group that name a tenant's object. */
export async function runAccessMatrix(t: Test, group: keyof typeof MATRIX_GROUPS): Promise<void> {
  const { app, db, adminKey } = await buildTestApp(t, NO_RATE_LIMITS)
  const w = await buildTenancyWorld(app, db, adminKey)
  const pool = freshPool(freshMaker(w))
  // Lists have a test of their own (access-matrix-lists.test.ts), on a world no leaking write has touched.
  const operations = (await loadOperations(app)).filter((op) => op.secured && !isList(op) && inGroup(op, group) && slotsOf(op).length > 0)
  t.ok(operations.length >= 5, `${operations.length} operations of group ${group} name a tenant's object`)
  const leaking: string[] = []
  for (const op of operations) leaking.push(...await checkOperation(t, w, pool, op))
  if (leaking.length > 0) t.comment(`leaks (${group}): ${leaking.join('; ')}`)
}
