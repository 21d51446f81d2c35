import { eq } from 'drizzle-orm'
import t from 'tap'
import { auditEvents, webhookEndpoints } from '../src/db/schema/index.ts'
import { secretsKeyFrom } from '../src/lib/secrets-key.ts'
import { buildTestApp, client, SECRETS_KEY } from './helpers/app.ts'
import { makeAccount } from './helpers/factories.ts'
import { tenant } from './helpers/webhooks.ts'

/** Registering, reading, changing and (de)activating webhook endpoints; who may; the URL rules; secrets. */
t.test('webhook endpoints', async (t) => {
  const { app, db, adminKey } = await buildTestApp(t)
  const admin = client(app, adminKey)
  const a = await tenant(app, db)
  const b = await tenant(app, db)
  const url = 'https://hooks.example.org/rapport'
  const sealed = async (id: string) => (await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)))[0]!

  t.test('an integrator registers an endpoint for its organization; the secret is shown once and stored sealed', async (t) => {
    const res = await a.integrator.post('/v1/webhook-endpoints', { body: { url, eventTypes: ['trainee.created'], description: 'HR' } })
    t.equal(res.statusCode, 201, res.body)
    const created = res.json()
    t.match(created, { url, eventTypes: ['trainee.created'], description: 'HR', active: true, organizationId: a.organizationId, ownerAccountId: a.integratorAccountId })
    t.match(created.secret, /^whsec_[A-Za-z0-9+/]{43}=$/, 'whsec_ and base64 of 32 bytes')
    t.equal(Buffer.from(created.secret.slice(6), 'base64').length, 32)
    const row = await sealed(created.id)
    t.not(row.secretSealed, created.secret, 'not stored in clear')
    t.notOk(row.secretSealed.includes(created.secret.slice(6)), 'nor its base64')
    t.equal(secretsKeyFrom(Buffer.from(SECRETS_KEY, 'base64')).decrypt(row.secretSealed), created.secret, 'sealed with the secrets key')
    const read = await a.integrator.get(`/v1/webhook-endpoints/${created.id}`)
    t.equal(read.statusCode, 200)
    t.notOk('secret' in read.json(), 'never shown again')
    t.ok(read.headers.etag)
    const listed = (await a.integrator.get('/v1/webhook-endpoints')).json()
    t.notOk(JSON.stringify(listed).includes(created.secret), 'nor in a list')
    const audit = await db.select().from(auditEvents).where(eq(auditEvents.objectId, created.id))
    t.same(audit.map((e) => e.action), ['webhook_endpoint.create'])
    t.notOk(JSON.stringify(audit).includes(created.secret.slice(6)), 'the audit row carries no secret')
  })

  t.test('a retry with the same Idempotency-Key is not told the secret', async (t) => {
    const headers = { 'idempotency-key': 'create-endpoint-1' }
    const first = await a.integrator.post('/v1/webhook-endpoints', { headers, body: { url, eventTypes: ['trainee.updated'] } })
    t.equal(first.statusCode, 201)
    const again = await a.integrator.post('/v1/webhook-endpoints', { headers, body: { url, eventTypes: ['trainee.updated'] } })
    t.equal(again.statusCode, 409)
    t.equal(again.json().code, 'idempotency-secret-not-replayed')
    t.equal(again.json().created.id, first.json().id)
    t.notOk(again.body.includes(first.json().secret))
  })

  t.test('admins register endpoints for every organization; scope and 404 across organizations', async (t) => {
    const own = (await admin.post('/v1/webhook-endpoints', { body: { url, eventTypes: ['trainee.created'] } })).json()
    t.equal(own.organizationId, null, 'an admin\'s endpoint receives every organization\'s events')
    const ofB = (await b.integrator.post('/v1/webhook-endpoints', { body: { url, eventTypes: ['trainee.created'] } })).json()
    for (const path of ['', '/deliveries']) {
      t.equal((await a.integrator.get(`/v1/webhook-endpoints/${ofB.id}${path}`)).statusCode, 404, `B's endpoint${path} is not found for A`)
      t.equal((await a.integrator.get(`/v1/webhook-endpoints/${own.id}${path}`)).statusCode, 404, `nor the admin's${path}`)
      t.equal((await admin.get(`/v1/webhook-endpoints/${ofB.id}${path}`)).statusCode, 200, `admins read B's${path}`)
    }
    for (const verb of ['deactivate', 'rotate-secret']) {
      t.equal((await a.integrator.post(`/v1/webhook-endpoints/${ofB.id}/${verb}`)).statusCode, 404, `${verb} B's: 404`)
    }
    t.equal((await a.integrator.patch(`/v1/webhook-endpoints/${ofB.id}`, { body: { description: 'x' } })).statusCode, 404)
    const listA = (await a.integrator.get('/v1/webhook-endpoints')).json().items as { organizationId: string }[]
    t.ok(listA.length > 0 && listA.every((e) => e.organizationId === a.organizationId), 'A lists only its own')
    const listAll = (await admin.get('/v1/webhook-endpoints', { query: { limit: '200' } })).json().items as { id: string }[]
    t.ok([own.id, ofB.id].every((id) => listAll.some((e) => e.id === id)), 'admins list all')
    for (const role of ['coordinator'] as const) { // supervisors and trainees too: the access matrix
      const other = client(app, (await makeAccount(db, role)).key)
      t.equal((await other.get('/v1/webhook-endpoints')).statusCode, 403, `${role}: 403`)
      t.equal((await other.post('/v1/webhook-endpoints', { body: { url, eventTypes: ['trainee.created'] } })).statusCode, 403)
      t.equal((await other.get(`/v1/webhook-endpoints/${ofB.id}`)).statusCode, 403)
    }
  })

  t.test('event types come from the catalog', async (t) => {
    const res = await a.integrator.post('/v1/webhook-endpoints', { body: { url, eventTypes: ['trainee.created', 'trainee.exploded'] } })
    t.equal(res.statusCode, 400)
    t.equal(res.json().code, 'event-type-unknown')
    t.same(res.json().errors, [{ pointer: '/eventTypes/1', detail: 'trainee.exploded is not an event type' }])
  })

  t.test('URLs: https, no userinfo, public addresses only', async (t) => {
    const refused = ['http://hooks.example.org/x', 'https://user:pw@hooks.example.org/x', 'https://127.0.0.1/x', 'https://[::1]/x',
      'https://169.254.169.254/latest', 'https://10.1.2.3/x', 'https://100.64.0.1/x', 'https://[::ffff:192.168.0.1]/x', 'https://[fd00::1]/x',
      'https://0.0.0.0/x', 'https://localhost/x', 'ftp://hooks.example.org/x']
    for (const bad of refused) {
      const res = await a.integrator.post('/v1/webhook-endpoints', { body: { url: bad, eventTypes: ['trainee.created'] } })
      t.equal(res.statusCode, 422, `${bad}: ${res.body}`)
      t.equal(res.json().code, 'webhook-url-not-allowed')
      t.equal(res.json().errors?.[0]?.pointer, '/url')
    }
    t.equal((await a.integrator.post('/v1/webhook-endpoints', { body: { url: 'https://8.8.8.8/hook', eventTypes: ['trainee.created'] } })).statusCode, 201, 'a public address')
    const id = (await a.integrator.post('/v1/webhook-endpoints', { body: { url, eventTypes: ['trainee.created'] } })).json().id
    const patched = await a.integrator.patch(`/v1/webhook-endpoints/${id}`, { body: { url: 'https://localhost:8443/x' } })
    t.equal(patched.json().code, 'webhook-url-not-allowed', 'and when changed')
  })

  t.test('PATCH with If-Match; deactivate and reactivate; every write audited', async (t) => {
    const created = await a.integrator.post('/v1/webhook-endpoints', { body: { url, eventTypes: ['trainee.created'] } })
    const id = created.json().id
    const etag = created.headers.etag as string
    const changed = await a.integrator.patch(`/v1/webhook-endpoints/${id}`, { headers: { 'if-match': etag }, body: { eventTypes: ['trainee.created', 'certificate.issued'], description: 'more' } })
    t.equal(changed.statusCode, 200)
    t.same(changed.json().eventTypes, ['trainee.created', 'certificate.issued'])
    t.not(changed.headers.etag, etag, 'a new ETag')
    const stale = await a.integrator.patch(`/v1/webhook-endpoints/${id}`, { headers: { 'if-match': etag }, body: { description: 'stale' } })
    t.equal(stale.statusCode, 412, 'a stale ETag is refused')
    const off = await a.integrator.post(`/v1/webhook-endpoints/${id}/deactivate`)
    t.match(off.json(), { active: false, disabledReason: 'manual' })
    t.ok(off.json().disabledAt)
    t.equal((await a.integrator.post(`/v1/webhook-endpoints/${id}/rotate-secret`)).json().code, 'webhook-endpoint-inactive')
    const on = await a.integrator.post(`/v1/webhook-endpoints/${id}/reactivate`)
    t.match(on.json(), { active: true, disabledReason: null, disabledAt: null })
    const again = await a.integrator.post(`/v1/webhook-endpoints/${id}/reactivate`)
    t.equal(again.statusCode, 409)
    t.equal(again.json().code, 'webhook-endpoint-active')
    const audit = await db.select().from(auditEvents).where(eq(auditEvents.objectId, id)).orderBy(auditEvents.id)
    t.same(audit.map((e) => e.action), ['webhook_endpoint.create', 'webhook_endpoint.update', 'webhook_endpoint.deactivate', 'webhook_endpoint.reactivate'])
  })

  t.test('rotate-secret: a new secret shown once, the old one kept 24 hours', async (t) => {
    const created = (await a.integrator.post('/v1/webhook-endpoints', { body: { url, eventTypes: ['trainee.created'] } })).json()
    const rotated = await a.integrator.post(`/v1/webhook-endpoints/${created.id}/rotate-secret`)
    t.equal(rotated.statusCode, 200)
    t.match(rotated.json().secret, /^whsec_/)
    t.not(rotated.json().secret, created.secret)
    const until = new Date(rotated.json().previousSecretExpiresAt).getTime()
    t.ok(Math.abs(until - Date.now() - 24 * 3600_000) < 60_000, 'the old secret signs for 24 hours more')
    const row = await sealed(created.id)
    const key = secretsKeyFrom(Buffer.from(SECRETS_KEY, 'base64'))
    t.equal(key.decrypt(row.secretSealed), rotated.json().secret)
    t.equal(key.decrypt(row.previousSecretSealed!), created.secret, 'the previous one is kept sealed')
    const audit = await db.select().from(auditEvents).where(eq(auditEvents.objectId, created.id))
    t.ok(audit.some((e) => e.action === 'webhook_endpoint.rotate_secret'))
  })
})
