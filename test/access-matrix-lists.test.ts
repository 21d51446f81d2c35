import t from 'tap'
import { relayOnce } from '../src/events/relay.ts'
import { buildTestApp, client } from './helpers/app.ts'
import { bIdsIn, is2xx } from './helpers/access-matrix.ts'
import { NO_RATE_LIMITS } from './helpers/access-matrix-run.ts'
import { assign } from './helpers/factories.ts'
import { branches, isList, loadOperations, queryParams, type Operation } from './helpers/openapi-operations.ts'
import { buildTenancyWorld, idsOf, ROLES, type TenancyWorld } from './helpers/tenancy-world.ts'

/**
 * Every list endpoint of the OpenAPI document, as every role of organization A, page by page,
 * unfiltered and under each filter the document offers (ids of A and of B, each enum value, each
 * boolean, B's names as search text): no page may hold anything of organization B. Then the
 * takeover chain of issue 11, step by step.
 */
const PAGE = '2'

/** The filters to try: one query parameter at a time, with values drawn from the document. */
function filtersOf(w: TenancyWorld, op: Operation): Record<string, string>[] {
  const [a, b] = [w.sides.A, w.sides.B]
  const ids: Record<string, [string, string]> = {
    organizationId: [a.organization, b.organization], programId: [a.program, b.program], cohortId: [a.cohort, b.cohort],
    traineeId: [a.trainee, b.trainee], supervisorId: [a.supervisor, b.supervisor], objectId: [a.trainee, b.trainee],
    actorAccountId: [a.accounts.coordinator.id, b.accounts.coordinator.id]
  }
  const filters: Record<string, string>[] = [{}]
  for (const p of queryParams(op)) {
    if (p.name === 'limit' || p.name === 'cursor' || p.name === 'after') continue
    const s = branches(p.schema)[0] ?? {}
    const values = ids[p.name] ?? (s.enum ? s.enum.map(String)
      : s.type === 'boolean' ? ['true', 'false']
        : s.type === 'string' && !s.format ? b.names.slice(0, 2) : [])
    if (values.length === 0 && s.format === 'uuid') throw new Error(`${op.operationId}: filter ${p.name} is not in the list test's table`)
    for (const value of values) filters.push({ [p.name]: value })
  }
  return filters
}

t.test('no page of any list shows anything of organization B to A\'s people', async (t) => {
  const { app, db, database, adminKey } = await buildTestApp(t, NO_RATE_LIMITS)
  const w = await buildTenancyWorld(app, db, adminKey)
  // The fixtures' events into the feed (background loops are off in tests), so its list is not empty.
  await relayOnce(database.db)
  const aIds = new Set(idsOf(w.sides.A))
  const lists = (await loadOperations(app)).filter((op) => op.secured && isList(op))
  t.ok(lists.length >= 10, `${lists.length} list endpoints`)

  /** Every page of one list under one filter: B's ids found, A's ids found, and the first refusal. */
  const walk = async (role: (typeof ROLES)[number], op: Operation, filter: Record<string, string>) => {
    const as = client(app, w.keys[role])
    const found = { b: new Set<string>(), a: new Set<string>(), status: 200, where: [] as string[] }
    let cursor: string | null = null
    // The events feed pages with `after`, and answers a cursor on every page, its last (empty) one too.
    const cursorParam = queryParams(op).some((p) => p.name === 'after') ? 'after' : 'cursor'
    for (let page = 0; page < 50; page++) {
      const query: Record<string, string> = { ...filter, limit: PAGE, ...(cursor ? { [cursorParam]: cursor } : {}) }
      const res = await as.get(op.path, { query })
      if (!is2xx(res)) {
        found.status = res.statusCode
        break
      }
      for (const id of bIdsIn(w, res)) {
        found.b.add(id)
        found.where.push(`${op.path}?${new URLSearchParams(query)} -> ${res.body.slice(0, 200)}`)
      }
      for (const m of res.body.matchAll(/[0-9a-f]{8}-[0-9a-f-]{27}/g)) if (aIds.has(m[0])) found.a.add(m[0])
      const body = res.json() as { nextCursor?: string | null; items?: unknown[] }
      cursor = body.nextCursor ?? null
      if (!cursor || body.items?.length === 0) break
    }
    return found
  }

  const seenByRole: Record<string, number> = {}
  for (const op of lists) {
    const all = await walk('admin', op, {})
    if (all.a.size > 0) t.ok(all.b.size > 0, `admin ${op.operationId}: B's objects are listed as A's are (the fixtures are real)`)
    for (const role of ROLES.filter((r) => r !== 'admin')) {
      const unfiltered = await walk(role, op, {})
      if (unfiltered.status === 403) continue
      seenByRole[role] = (seenByRole[role] ?? 0) + unfiltered.a.size
      const leaks: string[] = [...unfiltered.where]
      for (const filter of filtersOf(w, op).slice(1)) leaks.push(...(await walk(role, op, filter)).where)
      t.same(leaks, [], `${role} of A ${op.operationId}: no page under any filter shows B`)
    }
  }
  for (const role of ROLES.filter((r) => r !== 'admin')) t.ok((seenByRole[role] ?? 0) > 0, `${role} of A lists some of A's own objects`)

  await t.test('the takeover chain: list B\'s supervisors, assign one, invite its account', async (t) => {
    const [a, b] = [w.sides.A, w.sides.B]
    const coordinator = client(app, w.keys.coordinator)
    const filters: Record<string, string>[] = [{}, { organizationId: b.organization }, { q: b.names[2]! }]
    for (const query of filters) {
      const res = await coordinator.get('/v1/supervisors', { query: { ...query, limit: '200' } })
      t.notOk(res.body.includes(b.supervisor), `B's supervisor is not listed to A's coordinator (${JSON.stringify(query)})`)
    }
    const assigned = await coordinator.post('/v1/assignments', { body: { supervisorId: b.supervisor, traineeId: a.trainee, startsOn: '2025-06-02' } })
    t.notOk(is2xx(assigned), `A's coordinator cannot assign B's supervisor to A's trainee (${assigned.statusCode})`)
    if (!is2xx(assigned)) {
      // The step after assumes the assignment exists: as one made before the rules changed would.
      await assign(db, b.supervisor, a.trainee, '2025-06-02').catch(() => t.comment('the database refuses the cross assignment too'))
    }
    const invited = await coordinator.post(`/v1/accounts/${b.accounts.supervisor.id}/invitations`)
    t.notOk(is2xx(invited), `A's coordinator cannot invite B's supervisor's account (${invited.statusCode} ${invited.body.slice(0, 120)})`)
    const second = await coordinator.post('/v1/accounts', { body: { role: 'supervisor', name: 'Second', email: 'second@example.org', supervisorId: b.supervisor } })
    t.notOk(is2xx(second), `A's coordinator cannot make a second account for B's supervisor (${second.statusCode})`)
    const theirs = await coordinator.get('/v1/observations', { query: { supervisorId: b.supervisor, limit: '200' } })
    t.same(bIdsIn(w, theirs), [], 'B\'s supervisor\'s observations stay out of reach')
  })
})
