import t from 'tap'
import { sql } from 'drizzle-orm'
import { buildTestApp, client } from './helpers/app.ts'
import { auditRowsFor } from './helpers/accounts.ts'
import { makeAccount, makeOrganization, makeSupervisor, makeTrainee } from './helpers/factories.ts'

t.test('API keys with an expiry, read-only keys, and keys of deactivated people', async (t) => {
  const { app, db, adminKey } = await buildTestApp(t)
  const admin = client(app, adminKey)
  const org = await makeOrganization(db)
  const supervisor = await makeSupervisor(db, org.id)
  const account = (await admin.post('/v1/accounts', { body: { role: 'supervisor', name: 'Key Holder', email: 'keys@example.org', supervisorId: supervisor.id } })).json()
  const inAnHour = new Date(Date.now() + 3_600_000).toISOString()

  await t.test('a key with an expiry works until then, then answers 401 api-key-expired', async (t) => {
    const created = await admin.post(`/v1/accounts/${account.id}/api-keys`, { body: { name: 'contractor', expiresAt: inAnHour } })
    t.equal(created.statusCode, 201, created.body)
    t.match(created.json(), { expiresAt: inAnHour, readOnly: false })
    const key = client(app, created.json().key)
    t.equal((await key.get('/v1/me')).statusCode, 200)
    const listed = (await admin.get(`/v1/accounts/${account.id}/api-keys`)).json().items.find((k: { id: string }) => k.id === created.json().id)
    t.match(listed, { expiresAt: inAnHour, readOnly: false }, 'shown in key lists')
    t.match((await auditRowsFor(db, 'api_key', created.json().id))[0]?.changes, { expiresAt: inAnHour, readOnly: false })
    await db.execute(sql`update api_keys set expires_at = now() - interval '1 second' where id = ${created.json().id}`)
    const expired = await key.get('/v1/me')
    t.equal(expired.statusCode, 401)
    t.match(expired.json(), { type: '/problems/unauthorized', code: 'api-key-expired' })
    const unknown = await client(app, 'rk_not-a-key-at-all-000000000000000000000000').get('/v1/me')
    t.equal(unknown.json().code, 'unauthorized', 'an unknown key keeps the general cause')
  })

  await t.test('an expiry must lie in the future', async (t) => {
    const past = await admin.post(`/v1/accounts/${account.id}/api-keys`, { body: { name: 'late', expiresAt: '2020-01-01T00:00:00Z' } })
    t.match(past.json(), { status: 422, code: 'api-key-expiry-past', errors: [{ pointer: '/expiresAt' }] })
    t.equal((await admin.post(`/v1/accounts/${account.id}/api-keys`, { body: { name: 'bad', expiresAt: 'tomorrow' } })).statusCode, 400)
  })

  await t.test('a read-only key reads, and answers 403 api-key-read-only to anything else', async (t) => {
    const created = await admin.post(`/v1/accounts/${account.id}/api-keys`, { body: { name: 'dashboard', readOnly: true } })
    t.match(created.json(), { readOnly: true, expiresAt: null })
    const key = client(app, created.json().key)
    t.equal((await key.get('/v1/me')).statusCode, 200, 'GET works')
    t.equal((await app.inject({ method: 'HEAD', url: '/v1/me', headers: { authorization: `Bearer ${created.json().key}` } })).statusCode, 200, 'HEAD works')
    for (const [method, url] of [['POST', '/v1/me/api-keys'], ['POST', '/v1/observations'], ['PATCH', `/v1/accounts/${account.id}`], ['DELETE', '/v1/me/sessions']] as const) {
      const res = await app.inject({ method, url, headers: { authorization: `Bearer ${created.json().key}` }, payload: {} })
      t.equal(res.statusCode, 403, `${method} ${url}`)
      t.match(res.json(), { type: '/problems/forbidden', code: 'api-key-read-only' })
    }
    t.match((await admin.get(`/v1/accounts/${account.id}/api-keys`)).json().items.find((k: { id: string }) => k.id === created.json().id), { readOnly: true })
  })

  await t.test('people issue themselves such keys; an expiring key cannot mint a longer-lived one', async (t) => {
    const own = client(app, (await admin.post(`/v1/accounts/${account.id}/api-keys`, { body: { name: 'own' } })).json().key)
    const mine = await own.post('/v1/me/api-keys', { body: { name: 'ro', readOnly: true, expiresAt: inAnHour } })
    t.equal(mine.statusCode, 201, mine.body)
    t.match(mine.json(), { readOnly: true, expiresAt: inAnHour })
    const short = client(app, (await own.post('/v1/me/api-keys', { body: { name: 'short', expiresAt: inAnHour } })).json().key)
    const forever = await short.post('/v1/me/api-keys', { body: { name: 'forever' } })
    t.match(forever.json(), { status: 422, code: 'api-key-outlives-caller' })
    const later = await short.post('/v1/me/api-keys', { body: { name: 'later', expiresAt: new Date(Date.now() + 7_200_000).toISOString() } })
    t.equal(later.json().code, 'api-key-outlives-caller')
    t.equal((await short.post('/v1/me/api-keys', { body: { name: 'shorter', expiresAt: new Date(Date.now() + 600_000).toISOString() } })).statusCode, 201)
  })

  await t.test('a key stops working when its person is deactivated, even if the account stays active', async (t) => {
    const trainee = await makeTrainee(db, org.id, null)
    const traineeKey = client(app, (await makeAccount(db, 'trainee', { traineeId: trainee.id })).key)
    const supervisorKey = client(app, (await admin.post(`/v1/accounts/${account.id}/api-keys`, { body: { name: 'live' } })).json().key)
    t.equal((await traineeKey.get('/v1/me')).statusCode, 200)
    t.equal((await supervisorKey.get('/v1/me')).statusCode, 200)
    await db.execute(sql`update trainees set active = false where id = ${trainee.id}`)
    await db.execute(sql`update supervisors set active = false where id = ${supervisor.id}`)
    t.equal((await traineeKey.get('/v1/me')).statusCode, 401, 'the trainee\'s key')
    t.equal((await supervisorKey.get('/v1/me')).statusCode, 401, 'the supervisor\'s key')
    await db.execute(sql`update supervisors set active = true where id = ${supervisor.id}`)
    t.equal((await supervisorKey.get('/v1/me')).statusCode, 200, 'works again with the person active')
  })
})
