import t from 'tap'
import { eq, sql } from 'drizzle-orm'
import { apiKeys, auditEvents } from '../src/db/schema/index.ts'
import { ensureAdmin } from '../src/bootstrap.ts'
import { hashApiKey } from '../src/modules/accounts/api-key.ts'
import { buildTestApp, client } from './helpers/app.ts'

t.test('health and the error envelope', async (t) => {
  const { app, adminKey } = await buildTestApp(t)
  const anon = client(app, null)

  const live = await anon.get('/health/live')
  t.equal(live.statusCode, 200)
  const ready = await anon.get('/health/ready')
  t.same(ready.json(), { status: 'ok' }, 'ready answers once the database does')

  const noKey = await anon.get('/v1/audit-events')
  t.equal(noKey.statusCode, 401, 'a /v1 route without a key is refused')
  t.match(noKey.headers['content-type'], /application\/problem\+json/)
  t.match(noKey.json(), { type: '/problems/unauthorized', status: 401, instance: '/v1/audit-events' })

  const badKey = await client(app, 'rk_not-a-real-key').get('/v1/audit-events')
  t.equal(badKey.statusCode, 401, 'an unknown key is refused')

  const missing = await client(app, adminKey).get('/v1/no-such-thing')
  t.equal(missing.statusCode, 404)
  t.equal(missing.json().type, '/problems/not-found')
})

t.test('the audit log cannot be rewritten, even with SQL', async (t) => {
  const { db } = await buildTestApp(t)
  await db.execute(sql`insert into audit_events (action, object_type, object_id) values ('test.write', 'test', '1')`)
  await t.rejects(db.execute(sql`update audit_events set action = 'x'`), 'UPDATE is rejected')
  await t.rejects(db.execute(sql`delete from audit_events`), 'DELETE is rejected')
  await t.rejects(db.execute(sql`truncate audit_events`), 'TRUNCATE is rejected')
  const rows = await db.select().from(auditEvents).where(eq(auditEvents.action, 'test.write'))
  t.equal(rows.length, 1, 'the row is still there')
  t.equal(rows[0]?.objectId, '1', 'unchanged')
})

t.test('ADMIN_API_KEY: added once, and a revoked one is not revived', async (t) => {
  const { db, database, app, adminKey } = await buildTestApp(t)
  const again = await ensureAdmin(database.db, adminKey)
  t.same(again, { adminKeyCreated: false, configuredKeyRevoked: false }, 'a known key is left as it is')

  const fresh = 'rk_another-configured-admin-key-000000000000'
  t.match(await ensureAdmin(database.db, fresh), { adminKeyCreated: true }, 'a new configured key is added')
  const admin = client(app, fresh)
  t.equal((await admin.get('/v1/me')).statusCode, 200, 'and grants admin access')

  await db.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.keyHash, hashApiKey(fresh)))
  t.match(await ensureAdmin(database.db, fresh), { adminKeyCreated: false, configuredKeyRevoked: true }, 'a revoked configured key is reported')
  t.equal((await admin.get('/v1/me')).statusCode, 401, 'and still does not work')
  t.equal((await client(app, null).get('/v1/me')).statusCode, 401)
})

t.test('a caller\'s x-request-id is kept only when it is a plain token of at most 200 characters', async (t) => {
  const { app, adminKey } = await buildTestApp(t)
  const admin = client(app, adminKey)
  const kept = await admin.post('/v1/organizations', { body: { name: 'Kept id' }, headers: { 'x-request-id': 'hr-sync:2026-12-01/42' } })
  t.equal(kept.headers['x-request-id'], 'hr-sync:2026-12-01/42', 'a plain token comes back as sent')
  for (const [what, sent] of [['70 KB long', 'x'.repeat(70_000)], ['with spaces', 'a b'], ['with markup', '<script>']] as const) {
    const res = await admin.post('/v1/organizations', { body: { name: `Replaced id ${what}` }, headers: { 'x-request-id': sent } })
    t.equal(res.statusCode, 201, `an id ${what} does not refuse the request`)
    t.match(res.headers['x-request-id'], /^[0-9a-f-]{36}$/, `an id ${what} is replaced by one of ours`)
  }
  const log = await admin.get('/v1/audit-events', { query: { objectType: 'organization' } })
  t.equal(log.statusCode, 200, 'the audit log still reads after a long id was sent')
  t.ok(log.json().items.every((e: { requestId: string }) => e.requestId.length <= 200), 'and every request id in it is short')
})
