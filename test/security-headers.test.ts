import { createHash } from 'node:crypto'
import t, { type Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { buildTestApp, client } from './helpers/app.ts'

const API_CSP = "default-src 'none';frame-ancestors 'none'"

/** Every answer: no MIME sniffing, a referrer policy, never framed. */
function common(t: Test, res: LightMyRequestResponse, what: string, referrer = 'no-referrer') {
  t.equal(res.headers['x-content-type-options'], 'nosniff', `${what}: nosniff`)
  t.equal(res.headers['referrer-policy'], referrer, `${what}: referrer policy ${referrer}`)
  t.match(String(res.headers['content-security-policy']), /frame-ancestors 'none'/, `${what}: frame-ancestors 'none'`)
  t.equal(res.headers['x-frame-options'], 'DENY', `${what}: X-Frame-Options for older browsers`)
}

t.test('each kind of answer has the security headers that fit it', async (t) => {
  const { app, adminKey } = await buildTestApp(t)
  const admin = client(app, adminKey)

  await t.test('API answers, successes and problems alike, allow no resources at all', async (t) => {
    const answers: Array<[string, LightMyRequestResponse]> = [
      ['a list', await admin.get('/v1/organizations')],
      ['a 401', await client(app, null).get('/v1/organizations')],
      ['a 400', await admin.get('/v1/organizations/not-a-uuid')],
      ['an unknown route', await app.inject({ url: '/v1/nothing-here' })],
      ['the JWK set', await app.inject({ url: '/.well-known/jwks.json' })],
      ['the issuer profile', await app.inject({ url: '/issuer' })]
    ]
    for (const [what, res] of answers) {
      common(t, res, what)
      t.equal(res.headers['content-security-policy'], API_CSP, `${what}: default-src 'none'`)
    }
    t.notOk(answers[0]![1].headers['strict-transport-security'], 'no HSTS over plain http')
  })

  await t.test('web pages: their own CSS and script only; the origin sent to themselves', async (t) => {
    for (const url of ['/sign-in', '/assets/app.css']) {
      const res = await app.inject({ url })
      t.equal(res.statusCode, 200, `${url} answers`)
      common(t, res, url, 'same-origin')
      const csp = String(res.headers['content-security-policy'])
      for (const directive of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "form-action 'self'", "object-src 'none'"]) {
        t.ok(csp.split(';').includes(directive), `${url}: ${directive}`)
      }
      t.notOk(csp.includes('unsafe-inline'), `${url}: no inline script or style`)
    }
  })

  await t.test('the public verification page: nothing but its own inline style, allowed by hash', async (t) => {
    const res = await app.inject({ url: '/verify/AAAAAAAAAAAAAAAAAAAAAAAAAAA' })
    t.match(res.headers['content-type'], /text\/html/)
    common(t, res, 'the verification page')
    const style = /<style>([\s\S]*?)<\/style>/.exec(res.body)?.[1] ?? ''
    const hash = createHash('sha256').update(style).digest('base64')
    t.equal(res.headers['content-security-policy'],
      `default-src 'none';style-src 'sha256-${hash}';base-uri 'none';form-action 'none';frame-ancestors 'none'`,
      'the hash is that of the stylesheet the page carries')
    const json = await app.inject({ url: '/verify/AAAAAAAAAAAAAAAAAAAAAAAAAAA?format=json' })
    common(t, json, 'the verification JSON')
  })

  await t.test('Swagger UI: its own files, no inline code', async (t) => {
    for (const url of ['/docs', '/docs/static/swagger-ui-bundle.js', '/docs/json']) {
      const res = await app.inject({ url })
      t.equal(res.statusCode, 200, `${url} answers`)
      common(t, res, url)
      const csp = String(res.headers['content-security-policy'])
      t.match(csp, /default-src 'self'/, `${url}: same-origin resources`)
      t.match(csp, /script-src 'self';/, `${url}: scripts from the service only`)
      t.notOk(csp.includes('unsafe-inline') || csp.includes('unsafe-eval'), `${url}: no inline or eval'd code`)
    }
  })
})

t.test('HSTS is sent when the public address is https', async (t) => {
  const { app } = await buildTestApp(t, { PUBLIC_BASE_URL: 'https://rapport.example.org' })
  for (const url of ['/v1/organizations', '/sign-in', '/docs', '/verify/AAAAAAAAAAAAAAAAAAAAAAAAAAA', '/no-such-page']) {
    const res = await app.inject({ url })
    t.equal(res.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains', `${url}: HSTS`)
  }
})

t.test('a web form post with a malformed Origin is refused (403), not a 500', async (t) => {
  const { app } = await buildTestApp(t)
  for (const origin of ['http://[::1', 'not a url', 'https://exa mple.org', '://']) {
    const res = await app.inject({
      method: 'POST', url: '/sign-in', headers: { origin, host: 'localhost:3000', 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'email=a%40example.org&password=whatever'
    })
    t.equal(res.statusCode, 403, `Origin ${JSON.stringify(origin)}: 403`)
    t.match(res.headers['content-type'], /text\/html/, 'the web pages\' own refusal page')
    t.match(res.body, /not sent from this site/)
  }
})
