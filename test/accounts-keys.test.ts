import { createHash, randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { eq } from 'drizzle-orm'
import { apiKeys } from '../src/db/schema/index.ts'
import { buildTestApp, client } from './helpers/app.ts'
import { makeSupervisor, makeTrainee, makeWorld } from './helpers/factories.ts'
import { auditRowsFor, eventually, storedKey } from './helpers/accounts.ts'

const { app, db, adminKey } = await buildTestApp(t)
const world = await makeWorld(db)
const admin = client(app, adminKey)

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')

/** An account for a person of its own (one account per person: the world's people have theirs). */
async function newAccount(body: object): Promise<string> {
  const res = await admin.post('/v1/accounts', { body })
  if (res.statusCode !== 201) throw new Error(`account not created: ${res.body}`)
  return res.json().id
}

t.test('a key is shown once, stored only as its hash, and works at once', async (t) => {
  const accountId = await newAccount({ role: 'supervisor', name: 'Key holder', supervisorId: (await makeSupervisor(db, world.org.id)).id })
  const created = await admin.post(`/v1/accounts/${accountId}/api-keys`, { body: { name: 'laptop' } })
  t.equal(created.statusCode, 201)
  const { id, key, prefix } = created.json()
  t.match(created.json(), { accountId, name: 'laptop', createdAt: String })
  t.match(key, /^rk_[A-Za-z0-9_-]{43}$/, 'a 256-bit secret')
  t.equal(prefix, key.slice(0, 10), 'the prefix is the key\'s first characters')

  const listed = await admin.get(`/v1/accounts/${accountId}/api-keys`)
  t.equal(listed.statusCode, 200)
  t.same(listed.json().items, [{ id, accountId, name: 'laptop', prefix, createdAt: created.json().createdAt, lastUsedAt: null, revokedAt: null, expiresAt: null, readOnly: false }],
    'the list shows the key without its secret or hash')
  t.notOk(listed.body.includes(key.slice(10)), 'no part of the secret past the prefix is ever answered again')

  const stored = await storedKey(db, id)
  t.equal(stored?.keyHash, sha256(key), 'the database holds the SHA-256 hash')
  t.notOk(JSON.stringify(stored).includes(key), 'and not the key itself')
  const everyKeyRow = await db.select().from(apiKeys)
  t.notOk(JSON.stringify(everyKeyRow).includes(key.slice(10)), 'nowhere in api_keys')
  const [audit] = await auditRowsFor(db, 'api_key', id)
  t.same(audit?.changes, { accountId, name: 'laptop', prefix, expiresAt: null, readOnly: false }, 'creation is audited without the secret or hash')

  const me = await client(app, key).get('/v1/me')
  t.equal(me.statusCode, 200, 'the new key authenticates')
  t.match(me.json(), { account: { id: accountId, role: 'supervisor' }, apiKey: { id, prefix } })

  const used = await eventually(() => storedKey(db, id), (row) => row?.lastUsedAt != null)
  t.ok(used?.lastUsedAt, 'its last use is recorded')
  const relisted = (await admin.get(`/v1/accounts/${accountId}/api-keys`)).json().items[0]
  t.equal(relisted.lastUsedAt, used!.lastUsedAt!.toISOString(), 'and shown in the list')
})

t.test('last use is recorded at most once a minute', async (t) => {
  const accountId = await newAccount({ role: 'trainee', name: 'Rare user', traineeId: (await makeTrainee(db, world.org.id, world.cohort.id)).id })
  const { id, key } = (await admin.post(`/v1/accounts/${accountId}/api-keys`, { body: { name: 'phone' } })).json()
  const recent = new Date(Date.now() - 10_000)
  await db.update(apiKeys).set({ lastUsedAt: recent }).where(eq(apiKeys.id, id))
  await client(app, key).get('/v1/me')
  await sleep(300)
  t.equal((await storedKey(db, id))?.lastUsedAt?.getTime(), recent.getTime(), 'a use within the minute is not written again')

  const old = new Date(Date.now() - 120_000)
  await db.update(apiKeys).set({ lastUsedAt: old }).where(eq(apiKeys.id, id))
  await client(app, key).get('/v1/me')
  const row = await eventually(() => storedKey(db, id), (r) => (r?.lastUsedAt?.getTime() ?? 0) > old.getTime())
  t.ok(row!.lastUsedAt!.getTime() > old.getTime(), 'a use after more than a minute is')
})

t.test('a revoked key answers 401 at once', async (t) => {
  const accountId = await newAccount({ role: 'integrator', name: 'HR sync', organizationId: world.org.id })
  const { id, key } = (await admin.post(`/v1/accounts/${accountId}/api-keys`, { body: { name: 'sync' } })).json()
  t.equal((await client(app, key).get('/v1/me')).statusCode, 200)

  const revoked = await admin.post(`/v1/api-keys/${id}/revoke`)
  t.equal(revoked.statusCode, 200)
  t.match(revoked.json(), { id, revokedAt: String })
  t.notOk('key' in revoked.json())
  const refused = await client(app, key).get('/v1/me')
  t.equal(refused.statusCode, 401, 'the next request with the key is refused')
  t.match(refused.headers['content-type'], /application\/problem\+json/)
  t.equal(refused.json().type, '/problems/unauthorized')

  const again = await admin.post(`/v1/api-keys/${id}/revoke`)
  t.equal(again.statusCode, 200, 'revoking twice is harmless')
  t.equal(again.json().revokedAt, revoked.json().revokedAt, 'and keeps the first revocation time')
  const audits = await auditRowsFor(db, 'api_key', id)
  t.same(audits.map((a) => a.action), ['api_key.create', 'api_key.revoke'], 'one audit row per real change')
  t.same(audits[1]!.changes, { accountId, revokedAt: { from: null, to: revoked.json().revokedAt } })
  const listed = (await admin.get(`/v1/accounts/${accountId}/api-keys`)).json().items[0]
  t.equal(listed.revokedAt, revoked.json().revokedAt, 'the list shows when it was revoked')
  t.equal((await admin.post(`/v1/api-keys/${randomUUID()}/revoke`)).statusCode, 404)
})

t.test('an account revokes its own keys, never another\'s', async (t) => {
  const accountId = await newAccount({ role: 'supervisor', name: 'Rotator', supervisorId: (await makeSupervisor(db, world.org.id)).id })
  const first = (await admin.post(`/v1/accounts/${accountId}/api-keys`, { body: { name: 'old' } })).json()
  const self = client(app, first.key)
  const second = await self.post('/v1/me/api-keys', { body: { name: 'new' } })
  t.equal(second.statusCode, 201, 'an account issues itself a second key')
  t.match(second.json(), { accountId, name: 'new', key: /^rk_/ })
  const rotated = client(app, second.json().key)

  const mine = await rotated.get('/v1/me/api-keys')
  t.same(mine.json().items.map((k: { name: string }) => k.name), ['new', 'old'], 'it lists its own keys, newest first')
  t.notOk(mine.body.includes(first.key) || mine.body.includes(second.json().key), 'without secrets')

  const othersKeyId = (await client(app, world.keys.trainee).get('/v1/me')).json().apiKey.id
  const foreign = await rotated.post(`/v1/api-keys/${othersKeyId}/revoke`)
  t.equal(foreign.statusCode, 404, 'another account\'s key is not found')
  t.equal(foreign.json().type, '/problems/not-found')
  t.equal((await client(app, world.keys.trainee).get('/v1/me')).statusCode, 200, 'and keeps working')
  t.equal((await client(app, world.keys.coordinator).post(`/v1/api-keys/${first.id}/revoke`)).statusCode, 404,
    'not even a coordinator may revoke someone else\'s key')

  const dropOld = await rotated.post(`/v1/api-keys/${first.id}/revoke`)
  t.equal(dropOld.statusCode, 200, 'it revokes its old key')
  t.equal((await self.get('/v1/me')).statusCode, 401)
  t.equal((await rotated.get('/v1/me')).statusCode, 200, 'and goes on with the new one')
  const dropSelf = await rotated.post(`/v1/api-keys/${second.json().id}/revoke`)
  t.equal(dropSelf.statusCode, 200, 'even the key it is calling with')
  t.equal((await rotated.get('/v1/me')).statusCode, 401)
  t.same((await auditRowsFor(db, 'api_key', first.id)).map((a) => [a.action, a.actorAccountId]),
    [['api_key.create', (await admin.get('/v1/me')).json().account.id], ['api_key.revoke', accountId]], 'the audit says who did it')
})

t.test('every role may issue itself keys, up to a limit', async (t) => {
  for (const role of ['coordinator', 'supervisor', 'trainee', 'integrator'] as const) {
    const me = (await client(app, world.keys[role]).get('/v1/me')).json()
    const res = await client(app, world.keys[role]).post('/v1/me/api-keys', { body: { name: `${role} spare` } })
    t.equal(res.statusCode, 201, `a ${role} may`)
    const again = (await client(app, res.json().key).get('/v1/me')).json()
    t.equal(again.account.id, me.account.id, 'the new key belongs to the same account')
  }
  const capped = client(app, world.keys.otherTrainee)
  const statuses: number[] = []
  for (let i = 0; i < 10; i++) statuses.push((await capped.post('/v1/me/api-keys', { body: { name: `k${i}` } })).statusCode)
  t.same(statuses, [...Array(9).fill(201), 409], 'the tenth unrevoked key is refused (the account already held one)')
  const missing = await capped.post('/v1/me/api-keys', { body: {} })
  t.equal(missing.statusCode, 400)
  t.same(missing.json().errors, [{ pointer: '/name', detail: 'is required' }])
})

t.test('keys for a missing or deactivated account', async (t) => {
  t.equal((await admin.post(`/v1/accounts/${randomUUID()}/api-keys`, { body: { name: 'x' } })).statusCode, 404)
  t.equal((await admin.get(`/v1/accounts/${randomUUID()}/api-keys`)).statusCode, 404)
  const accountId = await newAccount({ role: 'admin', name: 'Parked admin' })
  await admin.post(`/v1/accounts/${accountId}/deactivate`)
  const refused = await admin.post(`/v1/accounts/${accountId}/api-keys`, { body: { name: 'x' } })
  t.equal(refused.statusCode, 409, 'a deactivated account gets no new key')
  t.equal((await db.select().from(apiKeys).where(eq(apiKeys.accountId, accountId))).length, 0, 'none was stored')
})
