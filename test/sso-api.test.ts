import { createServer } from 'node:http'
import { eq } from 'drizzle-orm'
import t from 'tap'
import { identityProviders } from '../src/db/schema/index.ts'
import { secretsKeyFrom } from '../src/lib/secrets-key.ts'
import { emailVerified } from '../src/modules/sso/oidc.ts'
import { auditRowsFor } from './helpers/accounts.ts'
import { buildTestApp, client, SECRETS_KEY } from './helpers/app.ts'
import { freePort } from './helpers/browser.ts'
import { makeAccount, makeOrganization, makeSupervisor, makeTrainee } from './helpers/factories.ts'
import { startTestProvider } from './helpers/oidc-provider.ts'

/**
 * PUT/GET/DELETE /v1/organizations/{id}/identity-provider: admins only (every other role: 403); a
 * new issuer is checked by discovery against a real OpenID Provider before anything is saved; the
 * client secret is sealed, write-only, never answered or audited.
 */
t.test('identity provider configuration', async (t) => {
  const { app, db } = await buildTestApp(t, { OIDC_ALLOW_INSECURE_ISSUERS: 'true', PUBLIC_BASE_URL: 'http://rapport.test' })
  const admin = client(app, (await makeAccount(db, 'admin')).key)
  const idp = await startTestProvider(t, 'http://rapport.test/sign-in/sso/callback')
  const org = await makeOrganization(db)
  const url = `/v1/organizations/${org.id}/identity-provider`
  const body = { displayName: 'Hillside ID', issuer: idp.issuer, clientId: idp.clientId, clientSecret: 'very-secret-value-123', emailDomains: ['Hospice.Example'] }

  await t.test('nothing configured: 404', async (t) => {
    const res = await admin.get(url)
    t.equal(res.statusCode, 404)
    t.equal(res.json().code, 'not-found')
  })

  await t.test('an unreachable issuer is refused with 422, and nothing is saved', async (t) => {
    const port = await freePort()
    const res = await admin.put(url, { body: { ...body, issuer: `http://127.0.0.1:${port}` } })
    t.equal(res.statusCode, 422)
    t.equal(res.json().code, 'issuer-unreachable')
    t.match(res.headers['content-type'], /application\/problem\+json/)
    t.equal((await admin.get(url)).statusCode, 404)
  })

  await t.test('a server that is not an OpenID Provider for that issuer is refused with 422', async (t) => {
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer: 'http://somewhere-else.example' })))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
    const { port } = server.address() as { port: number }
    const res = await admin.put(url, { body: { ...body, issuer: `http://127.0.0.1:${port}` } })
    t.equal(res.statusCode, 422)
    t.equal(res.json().code, 'issuer-not-oidc')
    t.equal((await admin.get(url)).statusCode, 404)
  })

  await t.test('a new provider needs its client secret', async (t) => {
    const { clientSecret: _omitted, ...noSecret } = body
    const res = await admin.put(url, { body: noSecret })
    t.equal(res.statusCode, 400)
    t.match(res.json().errors, [{ pointer: '/clientSecret' }])
  })

  await t.test('a new provider needs its issuer', async (t) => {
    const { issuer: _omitted, ...noIssuer } = body
    const res = await admin.put(url, { body: noIssuer })
    t.equal(res.statusCode, 400)
    t.match(res.json().errors, [{ pointer: '/issuer' }])
  })

  await t.test('invalid domains and unknown fields are 400', async (t) => {
    t.equal((await admin.put(url, { body: { ...body, emailDomains: ['not a domain'] } })).statusCode, 400)
    t.equal((await admin.put(url, { body: { ...body, emailDomains: [] } })).statusCode, 400)
    t.equal((await admin.put(url, { body: { ...body, secret: 'x' } })).statusCode, 400)
  })

  let etag = ''
  await t.test('created after discovery; the secret is never returned', async (t) => {
    const res = await admin.put(url, { body })
    t.equal(res.statusCode, 201, res.body)
    t.notOk(res.body.includes(body.clientSecret), 'the secret is not in the answer')
    t.notOk('clientSecret' in res.json())
    t.match(res.json(), {
      organizationId: org.id, displayName: 'Hillside ID', issuer: idp.issuer, clientId: idp.clientId, emailDomains: ['hospice.example'], requireSso: false,
      redirectUri: 'http://rapport.test/sign-in/sso/callback', startUrl: `http://rapport.test/sign-in/sso/${res.json().id}`
    })
    etag = String(res.headers.etag)
    const got = await admin.get(url)
    t.equal(got.statusCode, 200)
    t.notOk(got.body.includes(body.clientSecret))
    const [stored] = await db.select().from(identityProviders).where(eq(identityProviders.organizationId, org.id))
    t.not(stored!.clientSecret, body.clientSecret, 'stored sealed')
    t.equal(secretsKeyFrom(Buffer.from(SECRETS_KEY, 'base64')).decrypt(stored!.clientSecret), body.clientSecret, 'with the secrets key')
    const audit = await auditRowsFor(db, 'identity_provider', res.json().id)
    t.same(audit.map((a) => a.action), ['identity_provider.create'])
    t.notOk(JSON.stringify(audit).includes(body.clientSecret), 'the audit holds no secret')
    t.equal(audit[0]!.changes?.clientSecret, 'set')
  })

  await t.test('updated with If-Match; an omitted secret is kept; a stale ETag is 412', async (t) => {
    const { clientSecret: _omitted, ...noSecret } = body
    const res = await admin.put(url, { body: { ...noSecret, requireSso: true }, headers: { 'if-match': etag } })
    t.equal(res.statusCode, 200, res.body)
    t.equal(res.json().requireSso, true)
    const [stored] = await db.select().from(identityProviders).where(eq(identityProviders.organizationId, org.id))
    t.equal(secretsKeyFrom(Buffer.from(SECRETS_KEY, 'base64')).decrypt(stored!.clientSecret), body.clientSecret, 'the secret is kept')
    const stale = await admin.put(url, { body, headers: { 'if-match': etag } })
    t.equal(stale.statusCode, 412)
    etag = String(res.headers.etag)
  })

  await t.test('a domain another organization signs in is 409', async (t) => {
    const other = await makeOrganization(db)
    const res = await admin.put(`/v1/organizations/${other.id}/identity-provider`, { body: { ...body, emailDomains: ['elsewhere.example', 'hospice.example'] } })
    t.equal(res.statusCode, 409)
    t.equal(res.json().code, 'email-domain-taken')
    t.match(res.json().errors, [{ pointer: '/emailDomains/1' }])
  })

  await t.test('an unknown organization is 404', async (t) => {
    t.equal((await admin.get('/v1/organizations/00000000-0000-4000-8000-000000000000/identity-provider')).statusCode, 404)
  })

  await t.test('nobody but admins sees or changes it: 403', async (t) => {
    const trainee = await makeTrainee(db, org.id, null)
    const supervisor = await makeSupervisor(db, org.id)
    const keys = [
      (await makeAccount(db, 'coordinator')).key, (await makeAccount(db, 'integrator', { organizationId: org.id })).key,
      (await makeAccount(db, 'trainee', { traineeId: trainee.id })).key, (await makeAccount(db, 'supervisor', { supervisorId: supervisor.id })).key
    ]
    for (const key of keys) {
      const as = client(app, key)
      t.equal((await as.get(url)).statusCode, 403)
      t.equal((await as.put(url, { body })).statusCode, 403)
      t.equal((await as.delete(url)).statusCode, 403)
    }
    t.equal((await admin.get(url)).json().displayName, 'Hillside ID', 'unchanged')
  })

  await t.test('deleted (audited); then 404', async (t) => {
    const id = (await admin.get(url)).json().id as string
    const res = await admin.delete(url, { headers: { 'if-match': etag } })
    t.equal(res.statusCode, 204)
    t.equal((await admin.get(url)).statusCode, 404)
    t.equal((await admin.delete(url)).statusCode, 404)
    t.same((await auditRowsFor(db, 'identity_provider', id)).map((a) => a.action), ['identity_provider.create', 'identity_provider.update', 'identity_provider.delete'])
  })
})

t.test('without OIDC_ALLOW_INSECURE_ISSUERS an http issuer is refused', async (t) => {
  const { app, db } = await buildTestApp(t)
  const admin = client(app, (await makeAccount(db, 'admin')).key)
  const org = await makeOrganization(db)
  const res = await admin.put(`/v1/organizations/${org.id}/identity-provider`, {
    body: { displayName: 'X', issuer: 'http://127.0.0.1:1', clientId: 'c', clientSecret: 's', emailDomains: ['x.example'] }
  })
  t.equal(res.statusCode, 422)
  t.equal(res.json().code, 'issuer-not-https')
})

t.test('an email counts as verified by email_verified, else (Entra) by xms_edov', async (t) => {
  t.equal(emailVerified({ email_verified: true }), true)
  t.equal(emailVerified({ email_verified: false, xms_edov: true }), false, 'an explicit false wins')
  t.equal(emailVerified({ xms_edov: true }), true, 'Entra: the domain owner verified it')
  t.equal(emailVerified({ xms_edov: 'true' }), false, 'only a boolean')
  t.equal(emailVerified({}), false)
})
