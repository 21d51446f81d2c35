import t from 'tap'
import { relayOnce } from '../src/events/relay.ts'
import { buildTestApp, client } from './helpers/app.ts'
import { buildTenancyWorld, type TenancyWorld } from './helpers/tenancy-world.ts'

/**
 * Who reads which events: admins every one; an integrator those of its organization; a coordinator
 * those of their programs; supervisors and trainees never the feed (403). Two organizations'
 * fixtures (test/helpers/tenancy-world.ts: people, assignments, observations, rules, certificates,
 * written through the API, so with their events): nothing of B ever reaches A's readers.
 */
interface Item { id: string; type: string; subject: { id: string }; data: Record<string, unknown> }

async function readAll(w: TenancyWorld, key: string): Promise<Item[]> {
  const as = client(w.app, key)
  const items: Item[] = []
  let after: string | undefined
  for (;;) {
    const res = await as.get('/v1/events', { query: { limit: '200', ...(after ? { after } : {}) } })
    if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${res.body}`)
    const page = res.json() as { items: Item[]; nextCursor: string }
    items.push(...page.items)
    after = page.nextCursor
    if (page.items.length < 200) return items
  }
}

const idsIn = (item: Item): string[] => JSON.stringify(item.data).match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g) ?? []

t.test('events feed scope', async (t) => {
  const { app, db, database, adminKey } = await buildTestApp(t)
  const w = await buildTenancyWorld(app, db, adminKey)
  await relayOnce(database.db)
  const { A, B } = w.sides
  const all = await readAll(w, adminKey)

  t.test('admins read every event, of both organizations', async (t) => {
    const types = new Set(all.map((e) => e.type))
    for (const type of ['observation.submitted', 'observation.acknowledged', 'certificate.issued', 'program.rules_changed']) t.ok(types.has(type), type)
    for (const side of [A, B]) {
      t.ok(all.some((e) => e.type === 'certificate.issued' && e.subject.id === side.certificate), 'each side\'s certificate')
      t.ok(all.some((e) => e.type === 'observation.submitted' && e.subject.id === side.observations.submitted), 'each side\'s observation')
    }
  })

  t.test('an integrator reads its organization\'s events, never another\'s', async (t) => {
    const mine = await readAll(w, A.accounts.integrator.key)
    t.ok(mine.length > 0)
    t.ok(mine.some((e) => e.subject.id === A.certificate), 'its trainee\'s certificate')
    t.ok(mine.some((e) => e.type === 'program.rules_changed' && e.subject.id === A.program), 'the rules of a program serving it')
    const leaked = mine.filter((e) => w.bIds.has(e.subject.id) || idsIn(e).some((id) => w.bIds.has(id)))
    t.same(leaked, [], 'nothing of organization B')
    const other = await readAll(w, B.accounts.integrator.key)
    t.same(other.filter((e) => mine.some((m) => m.id === e.id)), [], 'and B\'s integrator none of A\'s')
  })

  t.test('a coordinator reads their programs\' events, never another program\'s', async (t) => {
    const mine = await readAll(w, A.accounts.coordinator.key)
    t.ok(mine.some((e) => e.type === 'observation.submitted' && e.subject.id === A.observations.submitted), 'an observation of their program')
    t.ok(mine.some((e) => e.subject.id === A.certificate), 'a certificate of their program')
    t.same(mine.filter((e) => w.bIds.has(e.subject.id) || idsIn(e).some((id) => w.bIds.has(id))), [], 'nothing of B\'s program')
  })

  t.test('supervisors and trainees are refused the feed', async (t) => {
    for (const role of ['supervisor', 'trainee'] as const) {
      const res = await client(app, A.accounts[role].key).get('/v1/events')
      t.equal(res.statusCode, 403, role)
      t.equal(res.json().code, 'role-not-allowed')
    }
    t.equal((await client(app, null).get('/v1/events')).statusCode, 401, 'and anonymous callers')
  })

  t.test('a filtered, scoped read ends with a cursor past every event, its own or not', async (t) => {
    const as = client(app, A.accounts.integrator.key)
    const page = (await as.get('/v1/events', { query: { types: 'certificate.revoked' } })).json() as { items: Item[]; nextCursor: string }
    t.same(page.items, [])
    const next = (await as.get('/v1/events', { query: { after: page.nextCursor } })).json() as { items: Item[] }
    t.same(next.items, [], 'the cursor stands at the feed\'s end')
  })
})
