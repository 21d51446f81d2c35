import t from 'tap'
import { and, count, eq } from 'drizzle-orm'
import { auditEvents } from '../src/db/schema/index.ts'
import { buildTestApp, client } from './helpers/app.ts'
import { makeWorld } from './helpers/factories.ts'

const { app, db, adminKey } = await buildTestApp(t)
const world = await makeWorld(db)
const admin = client(app, adminKey)
const adminId = (await admin.get('/v1/me')).json().account.id as string

interface AuditEvent { id: number; occurredAt: string; actorAccountId: string | null; action: string; objectType: string; objectId: string; changes: Record<string, unknown> | null; requestId: string | null }
const events = async (query: Record<string, string>): Promise<AuditEvent[]> => {
  const res = await admin.get('/v1/audit-events', { query })
  if (res.statusCode !== 200) throw new Error(res.body)
  return res.json().items
}

t.test('only admins read the audit log', async (t) => {
  for (const role of ['coordinator', 'supervisor', 'trainee', 'integrator'] as const) {
    const res = await client(app, world.keys[role]).get('/v1/audit-events')
    t.equal(res.statusCode, 403, `a ${role} is refused`)
    t.equal(res.json().type, '/problems/forbidden')
  }
  t.equal((await client(app, null).get('/v1/audit-events')).statusCode, 401)
})

t.test('every account and key write leaves an audit row, with actor and request id', async (t) => {
  const created = await admin.post('/v1/accounts', { body: { role: 'coordinator', name: 'Audited', programIds: [world.program.id] } })
  const id = created.json().id as string
  const patched = await admin.patch(`/v1/accounts/${id}`, { body: { email: 'a@example.org' } })
  const off = await admin.post(`/v1/accounts/${id}/deactivate`)
  const on = await admin.post(`/v1/accounts/${id}/reactivate`)
  const key = await admin.post(`/v1/accounts/${id}/api-keys`, { body: { name: 'k' } })
  const ownKey = await client(app, key.json().key).post('/v1/me/api-keys', { body: { name: 'own' } })
  const revoked = await client(app, key.json().key).post(`/v1/api-keys/${key.json().id}/revoke`)

  const accountEvents = await events({ objectType: 'account', objectId: id })
  t.same(accountEvents.map((e) => e.action), ['account.reactivate', 'account.deactivate', 'account.update', 'account.create'], 'newest first')
  t.same(accountEvents.map((e) => e.requestId), [on, off, patched, created].map((r) => r.headers['x-request-id']),
    'each event names the request that caused it')
  t.ok(accountEvents.every((e) => e.actorAccountId === adminId), 'and its actor')
  t.match(accountEvents[3], { objectType: 'account', objectId: id, changes: { role: 'coordinator', name: 'Audited', programIds: [world.program.id] } })
  t.same(accountEvents[2]!.changes, { email: { from: null, to: 'a@example.org' } })

  const keyEvents = await events({ objectType: 'api_key', actorAccountId: id })
  t.same(keyEvents.map((e) => [e.action, e.objectId]), [['api_key.revoke', key.json().id], ['api_key.create', ownKey.json().id]],
    'the account\'s own key writes are audited with it as the actor')
  const secrets = [key.json().key, ownKey.json().key]
  const all = await events({ limit: '200' })
  t.notOk(secrets.some((s) => JSON.stringify(all).includes(s.slice(10))), 'no audit event holds a secret')
  t.equal(revoked.statusCode, 200)
})

t.test('filters', async (t) => {
  const creates = await events({ action: 'account.create', limit: '200' })
  t.ok(creates.length >= 1)
  t.ok(creates.every((e) => e.action === 'account.create'), 'by action')
  const [{ n }] = await db.select({ n: count() }).from(auditEvents).where(eq(auditEvents.action, 'account.create')) as [{ n: number }]
  t.equal(creates.length, n, 'and none is missing')

  const byAdmin = await events({ actorAccountId: adminId, limit: '200' })
  t.ok(byAdmin.length > 0 && byAdmin.every((e) => e.actorAccountId === adminId), 'by actor')

  const accountEvents = await events({ objectType: 'account', limit: '200' })
  t.ok(accountEvents.length >= 4)
  const middle = accountEvents[Math.floor(accountEvents.length / 2)]!
  const from = await events({ objectType: 'account', from: middle.occurredAt, limit: '200' })
  t.ok(from.some((e) => e.id === middle.id), 'from is inclusive')
  t.ok(from.every((e) => e.occurredAt >= middle.occurredAt), 'from leaves out earlier events')
  const to = await events({ objectType: 'account', to: middle.occurredAt, limit: '200' })
  t.ok(to.every((e) => e.occurredAt < middle.occurredAt), 'to is exclusive')
  t.equal(from.length + to.length, accountEvents.length, 'together they are the whole log of accounts')

  const backwards = await admin.get('/v1/audit-events', { query: { from: middle.occurredAt, to: middle.occurredAt } })
  t.equal(backwards.statusCode, 400)
  t.same(backwards.json().errors, [{ pointer: '/query/to', detail: 'must be later than from' }])
  const badDate = await admin.get('/v1/audit-events', { query: { from: 'yesterday' } })
  t.equal(badDate.statusCode, 400)
  t.equal(badDate.json().errors[0].pointer, '/query/from')
  const unknown = await admin.get('/v1/audit-events', { query: { actor: adminId } })
  t.equal(unknown.statusCode, 400, 'an unknown filter is refused rather than ignored')
  t.same(await events({ objectType: 'account', objectId: 'no-such-object' }), [])
})

t.test('pages run newest first by id, without gaps or repeats', async (t) => {
  for (let i = 0; i < 5; i++) await admin.post('/v1/accounts', { body: { role: 'admin', name: `Pager ${i}` } })
  const [{ n }] = await db.select({ n: count() }).from(auditEvents)
    .where(and(eq(auditEvents.objectType, 'account'), eq(auditEvents.action, 'account.create'))) as [{ n: number }]
  const seen: number[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const res = await admin.get('/v1/audit-events', { query: { objectType: 'account', action: 'account.create', limit: '2', ...(cursor ? { cursor } : {}) } })
    t.equal(res.statusCode, 200)
    const page = res.json() as { items: AuditEvent[]; nextCursor: string | null }
    t.ok(page.items.length <= 2)
    seen.push(...page.items.map((e) => e.id))
    cursor = page.nextCursor
    pages++
  } while (cursor && pages < 50)
  t.equal(seen.length, n, 'every event once')
  t.same(seen, [...seen].sort((a, b) => b - a), 'ids strictly decreasing')
  t.equal(new Set(seen).size, seen.length, 'no repeats')
  t.match((await admin.get('/v1/audit-events', { query: { objectType: 'account', limit: '200' } })).json(), { nextCursor: null }, 'the last page says so')

  for (const cursor of ['garbage', Buffer.from('["audit", -1]').toString('base64url'), Buffer.from('["2020-01-01", "x"]').toString('base64url')]) {
    const res = await admin.get('/v1/audit-events', { query: { cursor } })
    t.equal(res.statusCode, 400, `cursor ${cursor} is refused`)
    t.same(res.json().errors, [{ pointer: '/query/cursor', detail: 'is not a cursor this API returned' }])
  }
})
