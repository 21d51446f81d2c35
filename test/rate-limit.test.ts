import t from 'tap'
import { buildTestApp, client } from './helpers/app.ts'
import { makeAccount, makeOrganization, makeSupervisor } from './helpers/factories.ts'
import { createSession, SESSION_COOKIE } from '../src/modules/identity/sessions.ts'
import { renderOpenApi } from '../src/openapi.ts'

const LIMITS = { RATE_LIMIT_PER_MINUTE: '5', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '3', TRUST_PROXY: '127.0.0.1' }

/** The parameters of a structured-field item such as `"per-key";r=4;t=60`. */
function item(header: string | string[] | number | undefined): { name: string; params: Record<string, number> } {
  const [name = '', ...params] = String(header).split(';')
  return { name: JSON.parse(name) as string, params: Object.fromEntries(params.map((p) => p.split('=')).map(([k, v]) => [k!, Number(v)])) }
}

t.test('rate limits, with a trusted proxy in front', async (t) => {
  // One app for every case (a fresh database per app is slow): each case uses keys and addresses of its own.
  const { app, db, database } = await buildTestApp(t, LIMITS)

  await t.test('an API key has its own budget, announced on every answer and enforced with a 429', async (t) => {
    const a = client(app, (await makeAccount(db, 'admin')).key)
    const b = client(app, (await makeAccount(db, 'admin')).key)

    const remaining: number[] = []
    for (let i = 0; i < 5; i++) {
      const res = await a.get('/v1/organizations')
      t.equal(res.statusCode, 200)
      t.equal(res.headers['ratelimit-policy'], '"per-key";q=5;w=60', 'the policy: 5 requests per 60 s per key')
      const limit = item(res.headers.ratelimit)
      t.equal(limit.name, 'per-key')
      t.ok(limit.params.t! > 0 && limit.params.t! <= 60, 'seconds until the window ends')
      remaining.push(limit.params.r!)
    }
    t.same(remaining, [4, 3, 2, 1, 0], 'the remaining quota counts down')

    const refused = await a.get('/v1/organizations')
    t.equal(refused.statusCode, 429)
    t.match(refused.headers['content-type'], /^application\/problem\+json/)
    t.match(refused.json(), { code: 'rate-limited', type: '/problems/rate-limited', status: 429, 'violated-policies': ['per-key'] })
    const retryAfter = Number(refused.headers['retry-after'])
    t.ok(retryAfter > 0 && retryAfter <= 60, `Retry-After says when (${retryAfter} s)`)
    t.equal(item(refused.headers.ratelimit).params.r, 0)

    const other = await b.get('/v1/organizations')
    t.equal(other.statusCode, 200, 'another key is not slowed by the first')
    t.equal(item(other.headers.ratelimit).params.r, 4, 'and has its own count')
  })

  await t.test('anonymous callers are counted per client address, as the trusted proxy reports it', async (t) => {
    const from = (address: string) => app.inject({ url: '/issuer', headers: { 'x-forwarded-for': address } })

    for (let i = 0; i < 3; i++) {
      const res = await from('203.0.113.7')
      t.equal(res.statusCode, 200)
      t.equal(res.headers['ratelimit-policy'], '"per-address";q=3;w=60')
      t.equal(item(res.headers.ratelimit).params.r, 2 - i)
    }
    const refused = await from('203.0.113.7')
    t.equal(refused.statusCode, 429, 'the fourth request from one address is refused')
    t.ok(Number(refused.headers['retry-after']) > 0)
    t.equal((await app.inject({ url: '/v1/organizations', headers: { 'x-forwarded-for': '203.0.113.7' } })).statusCode, 429,
      'a request without a key spends the same budget')

    const elsewhere = await from('198.51.100.20')
    t.equal(elsewhere.statusCode, 200, 'another address has its own budget')
    t.equal(item(elsewhere.headers.ratelimit).params.r, 2)
    t.equal((await from('2001:db8:1:2::1')).statusCode, 200)
    t.equal(item((await from('2001:db8:1:2::99')).headers.ratelimit).params.r, 1, 'an IPv6 /64 is one address')
  })

  await t.test('a wrong API key spends its address\'s budget, not a key\'s', async (t) => {
    const guess = (n: number) => app.inject({ url: '/v1/organizations', headers: { authorization: `Bearer rk_guess-${n}`, 'x-forwarded-for': '192.0.2.1' } })
    for (let i = 0; i < 3; i++) {
      const res = await guess(i)
      t.equal(res.statusCode, 401)
      t.equal(item(res.headers.ratelimit).name, 'per-address')
    }
    t.equal((await guess(99)).statusCode, 429, 'guessing keys is slowed down')
  })

  await t.test('a person signed in to the web pages is counted per account', async (t) => {
    const supervisor = await makeSupervisor(db, (await makeOrganization(db)).id)
    const { account } = await makeAccount(db, 'supervisor', { supervisorId: supervisor.id })
    const { token } = await createSession(database.db, account.id, new Date())
    const page = await app.inject({ url: '/my/trainees', headers: { cookie: `${SESSION_COOKIE}=${token}`, 'x-forwarded-for': '192.0.2.9' } })
    t.equal(page.statusCode, 200)
    t.equal(page.headers['ratelimit-policy'], '"per-account";q=5;w=60')
    t.equal(item(page.headers.ratelimit).params.r, 4)
    const anonymous = await app.inject({ url: '/sign-in', headers: { 'x-forwarded-for': '192.0.2.9' } })
    t.equal(item(anonymous.headers.ratelimit).params.r, 2, 'the sign-in page of the same address is counted apart')
  })

  await t.test('health checks are never limited', async (t) => {
    for (let i = 0; i < 10; i++) {
      const res = await app.inject({ url: i % 2 ? '/health/live' : '/health/ready' })
      t.equal(res.statusCode, 200)
      t.notOk(res.headers.ratelimit, 'no rate limit headers')
    }
    const after = await app.inject({ url: '/issuer' })
    t.equal(item(after.headers.ratelimit).params.r, 2, 'and they spend none of the address\'s budget')
  })

  await t.test('the OpenAPI document shows the limit on every operation but the health checks', async (t) => {
    type Response = { headers?: Record<string, unknown> }
    const doc = JSON.parse(await renderOpenApi(app)) as { paths: Record<string, Record<string, { responses: Record<string, Response> }>> }
    let operations = 0
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const where = `${method.toUpperCase()} ${path}`
        if (path.startsWith('/health/')) {
          t.notOk(op.responses['429'], `${where} is never limited`)
          continue
        }
        operations++
        t.ok(op.responses['429']?.headers?.['Retry-After'], `${where} documents 429 with Retry-After`)
        for (const [status, response] of Object.entries(op.responses)) {
          if (/^[24]/.test(status)) t.ok(response.headers?.RateLimit && response.headers['RateLimit-Policy'], `${where} ${status} has the RateLimit headers`)
        }
      }
    }
    t.ok(operations > 50, 'every operation was looked at')
  })
})

t.test('without TRUST_PROXY, X-Forwarded-For is ignored: the connection\'s address counts', async (t) => {
  const { app } = await buildTestApp(t, { ...LIMITS, TRUST_PROXY: 'false' })
  for (const address of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) {
    t.equal((await app.inject({ url: '/issuer', headers: { 'x-forwarded-for': address } })).statusCode, 200)
  }
  t.equal((await app.inject({ url: '/issuer', headers: { 'x-forwarded-for': '203.0.113.4' } })).statusCode, 429,
    'a client cannot escape its budget by inventing forwarded addresses')
})
