import t from 'tap'
import { sql } from 'drizzle-orm'
import { rows } from '../src/db/rows.ts'
import { buildTestApp, client } from './helpers/app.ts'
import { makeAccount, makeOrganization, makeSupervisor, makeTrainee } from './helpers/factories.ts'
import { countRows, passwordStep } from './helpers/identity.ts'
import { browser } from './helpers/web.ts'

t.test('signing in to the web pages', async (t) => {
  const { app, db, adminKey } = await buildTestApp(t)
  const admin = client(app, adminKey)
  const org = await makeOrganization(db)
  const supervisor = await makeSupervisor(db, org.id)
  const account = (await admin.post('/v1/accounts', { body: { role: 'supervisor', name: 'Dana Reyes', email: 'Dana@Riverside.example', supervisorId: supervisor.id } })).json()
  const password = 'calm unhurried presence 42'
  const sessions = () => countRows(db, sql`select count(*)::int as n from web_sessions where account_id = ${account.id}`)

  await t.test('an admin gets a one-time invitation link; the person sets a password and is signed in', async (t) => {
    const invite = await admin.post(`/v1/accounts/${account.id}/invitations`)
    t.equal(invite.statusCode, 201, invite.body)
    const path = new URL(invite.json().url).pathname
    t.match(path, /^\/invitations\/[A-Za-z0-9_-]{43}$/)
    const b = browser(app)
    const form = await b.get(path)
    t.equal(form.statusCode, 200)
    t.match(form.body, /Welcome, Dana Reyes/)
    const weak = await b.post(path, { password: 'short', confirm: 'short' })
    t.equal(weak.statusCode, 422)
    t.match(weak.body, /id="password-error"[^>]*>Use at least 12 characters/, 'the problem is shown next to the field')
    const differ = await b.post(path, { password, confirm: `${password}!` })
    t.match(differ.body, /The two passwords differ/)
    const done = await b.post(path, { password, confirm: password })
    t.equal(done.statusCode, 303)
    t.ok(b.jar.has('rapport_session'), 'signed in')
    const cookie = done.cookies.find((c) => c.name === 'rapport_session')!
    t.same([cookie.httpOnly, cookie.sameSite, cookie.path], [true, 'Lax', '/'], 'HttpOnly, SameSite cookie')
    const [stored] = await rows<{ password_hash: string }>(db, sql`select password_hash from accounts where id = ${account.id}`)
    t.match(stored!.password_hash, /^scrypt\$32768\$8\$1\$/, 'stored as a memory-hard scrypt hash')
    t.equal((await browser(app).get(path)).statusCode, 410, 'the link works once')
    t.notOk(JSON.stringify((await admin.get(`/v1/accounts/${account.id}`)).json()).includes('scrypt'), 'the API never shows the hash')
  })

  await t.test('sign in and out; wrong passwords are refused without saying which part was wrong', async (t) => {
    const before = await sessions()
    const b = browser(app)
    await b.get('/sign-in')
    const wrong = await b.post('/sign-in', { email: 'dana@riverside.example', password: 'not the password at all', next: '/' })
    t.equal(wrong.statusCode, 401)
    t.match(wrong.body, /That email and password do not match an account/)
    t.match(wrong.body, /value="dana@riverside.example"/, 'the email typed is kept')
    const ok = await b.post('/sign-in', { email: 'DANA@riverside.example', password, next: '/my/trainees' })
    t.equal(ok.statusCode, 303)
    t.equal(ok.headers.location, '/my/trainees', 'back where the person was going')
    t.equal((await b.get('/')).headers.location, '/my/trainees', 'a supervisor starts at their trainees')
    const list = await b.get('/my/trainees')
    t.equal(list.statusCode, 200)
    t.match(list.body, /Sign out/)
    t.match(list.body, /<a class="who" href="\/account"/, 'the layout links to the account page')
    const out = await b.post('/sign-out', {})
    t.equal(out.headers.location, '/sign-in')
    t.notOk(b.jar.has('rapport_session'), 'the cookie is cleared')
    t.equal(await sessions(), before, 'and the session is gone from the database')
  })

  await t.test('never an open redirect', async (t) => {
    for (const next of ['https://evil.example/', '//evil.example/x', '/\\evil.example']) {
      const b = browser(app)
      await b.get('/sign-in')
      const res = await b.post('/sign-in', { email: 'dana@riverside.example', password, next })
      t.equal(res.headers.location, '/', `${next} becomes /`)
    }
  })

  await t.test('a post without the CSRF token, or from another site, is refused and changes nothing', async (t) => {
    const b = browser(app)
    await b.get('/sign-in')
    t.equal((await b.post('/sign-in', { email: 'dana@riverside.example', password }, { csrf: null })).statusCode, 403, 'no token')
    t.equal((await b.post('/sign-in', { email: 'dana@riverside.example', password }, { csrf: 'forged' })).statusCode, 403, 'a wrong token')
    t.notOk(b.jar.has('rapport_session'), 'not signed in')
    await b.post('/sign-in', { email: 'dana@riverside.example', password })
    t.ok(b.jar.has('rapport_session'))
    await b.get('/my/trainees')
    t.equal((await b.post('/sign-out', {}, { origin: 'https://evil.example' })).statusCode, 403, 'another origin')
    t.equal((await b.post('/sign-out', {}, { csrf: null })).statusCode, 403, 'no token while signed in')
    t.ok(b.jar.has('rapport_session'), 'still signed in')
  })

  await t.test('a session ends when its person (the supervisor record) is deactivated, even if the account stays active', async (t) => {
    const b = browser(app)
    await b.get('/sign-in')
    await b.post('/sign-in', { email: 'dana@riverside.example', password })
    t.equal((await b.get('/my/trainees')).statusCode, 200)
    await db.execute(sql`update supervisors set active = false where id = ${supervisor.id}`)
    t.equal((await b.get('/my/trainees')).statusCode, 303, 'the page sends them to sign in')
    t.equal((await passwordStep(app, 'dana@riverside.example', password)).status, 401, 'and they cannot sign in again')
    await db.execute(sql`update supervisors set active = true where id = ${supervisor.id}`)
  })

  await t.test('integrators and deactivated people cannot sign in; invitations need an email', async (t) => {
    const integrator = await makeAccount(db, 'integrator', { organizationId: org.id })
    const refused = await admin.post(`/v1/accounts/${integrator.account.id}/invitations`)
    t.match(refused.json(), { status: 422, code: 'account-signs-in-with-keys' })
    const noEmail = (await admin.post('/v1/accounts', { body: { role: 'trainee', name: 'No Mail', traineeId: (await makeTrainee(db, org.id, null)).id } })).json()
    t.match((await admin.post(`/v1/accounts/${noEmail.id}/invitations`)).json(), { status: 422, code: 'account-email-missing' })
    await db.execute(sql`update accounts set active = false where id = ${account.id}`)
    t.equal((await passwordStep(app, 'dana@riverside.example', password)).status, 401)
    await db.execute(sql`update accounts set active = true where id = ${account.id}`)
  })
})
