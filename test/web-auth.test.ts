import t from 'tap'
import { sql } from 'drizzle-orm'
import { buildTestApp, client } from './helpers/app.ts'
import { makeAccount, makeWorld } from './helpers/factories.ts'
import { browser } from './helpers/web.ts'

t.test('signing in to the web pages', async (t) => {
  const { app, db, adminKey } = await buildTestApp(t)
  const w = await makeWorld(db)
  const admin = client(app, adminKey)
  const account = (await admin.post('/v1/accounts', { body: { role: 'supervisor', name: 'Dana Reyes', email: 'Dana@Riverside.example', supervisorId: w.supervisor.id } })).json()
  const password = 'calm unhurried presence 42'

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
    const stored = (await db.execute(sql`select password_hash from accounts where id = ${account.id}`) as unknown as { rows: Array<{ password_hash: string }> }).rows[0]!.password_hash
    t.match(stored, /^scrypt\$32768\$8\$1\$/, 'stored as a memory-hard scrypt hash')
    t.equal((await browser(app).get(path)).statusCode, 410, 'the link works once')
    t.notOk(JSON.stringify((await admin.get(`/v1/accounts/${account.id}`)).json()).includes('scrypt'), 'the API never shows the hash')
  })

  await t.test('sign in and out; wrong passwords are refused without saying which part was wrong', async (t) => {
    const sessions = async () => (await db.execute(sql`select count(*)::int as n from web_sessions where account_id = ${account.id}`) as unknown as { rows: Array<{ n: number }> }).rows[0]!.n
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
    const home = await b.get('/')
    t.equal(home.headers.location, '/my/trainees', 'a supervisor starts at their trainees')
    const list = await b.get('/my/trainees')
    t.equal(list.statusCode, 200)
    t.match(list.body, /Sign out/)
    const out = await b.post('/sign-out', {})
    t.equal(out.headers.location, '/sign-in')
    t.notOk(b.jar.has('rapport_session'), 'the cookie is cleared')
    t.equal(await sessions(), before, 'and the session is gone from the database')
  })

  await t.test('never an open redirect', async (t) => {
    const b = browser(app)
    await b.get('/sign-in')
    for (const next of ['https://evil.example/', '//evil.example/x', '/\\evil.example']) {
      const res = await b.post('/sign-in', { email: 'dana@riverside.example', password, next })
      t.equal(res.headers.location, '/', `${next} becomes /`)
      await b.post('/sign-out', {})
      await b.get('/sign-in')
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
    const foreign = await b.post('/sign-out', {}, { origin: 'https://evil.example' })
    t.equal(foreign.statusCode, 403, 'another origin')
    t.equal((await b.post('/sign-out', {}, { csrf: null })).statusCode, 403, 'no token while signed in')
    t.ok(b.jar.has('rapport_session'), 'still signed in')
  })

  await t.test('repeated failures slow further attempts down', async (t) => {
    const b = browser(app)
    await b.get('/sign-in')
    const statuses = []
    for (let i = 0; i < 5; i++) statuses.push((await b.post('/sign-in', { email: 'dana@riverside.example', password: `guess number ${i}` })).statusCode)
    t.same(statuses, [401, 401, 401, 401, 429], 'after four failures the next attempt must wait')
    const blocked = await b.post('/sign-in', { email: 'dana@riverside.example', password })
    t.equal(blocked.statusCode, 429, 'even the right password waits')
    t.match(blocked.body, /Too many attempts for this email\. Wait \d+ seconds?/)
    await db.execute(sql`update sign_in_throttle set blocked_until = now() - interval '1 second'`)
    t.equal((await b.post('/sign-in', { email: 'dana@riverside.example', password })).statusCode, 303, 'after the wait, the right password works')
  })

  await t.test('integrators and deactivated people cannot sign in; invitations need an email', async (t) => {
    const integrator = await makeAccount(db, 'integrator', { organizationId: w.org.id })
    t.equal((await admin.post(`/v1/accounts/${integrator.account.id}/invitations`)).statusCode, 422)
    t.equal((await client(app, w.keys.otherCoordinator).post(`/v1/accounts/${account.id}/invitations`)).statusCode, 404, 'a coordinator of another program cannot invite this supervisor')
    const noEmail = (await admin.post('/v1/accounts', { body: { role: 'trainee', name: 'No Mail', traineeId: w.otherTrainee.id } })).json()
    t.equal((await admin.post(`/v1/accounts/${noEmail.id}/invitations`)).statusCode, 422)
    await db.execute(sql`update accounts set active = false where id = ${account.id}`)
    const b = browser(app)
    await b.get('/sign-in')
    t.equal((await b.post('/sign-in', { email: 'dana@riverside.example', password })).statusCode, 401)
  })

  await t.test('coordinators create and invite the people of their programs, no one else', async (t) => {
    const coordinator = client(app, w.keys.coordinator)
    const made = await coordinator.post('/v1/accounts', { body: { role: 'trainee', name: 'Trainee Self', email: 'trainee.self@example.org', traineeId: w.trainee.id } })
    t.equal(made.statusCode, 201, made.body)
    t.equal((await coordinator.post(`/v1/accounts/${made.json().id}/invitations`)).statusCode, 201, 'and invites them')
    const supervisorOk = await coordinator.post('/v1/accounts', { body: { role: 'supervisor', name: 'Second Dana', email: 'dana2@example.org', supervisorId: w.supervisor.id } })
    t.equal(supervisorOk.statusCode, 201, 'a supervisor assigned to a trainee of the program')
    const elsewhere = await client(app, w.keys.otherCoordinator).post('/v1/accounts', { body: { role: 'trainee', name: 'Nope', email: 'nope@example.org', traineeId: w.trainee.id } })
    t.equal(elsewhere.statusCode, 422)
    t.match(elsewhere.body, /no trainee with id .* in your programs/)
    const admin2 = await coordinator.post('/v1/accounts', { body: { role: 'admin', name: 'Sneaky', email: 'sneaky@example.org' } })
    t.equal(admin2.statusCode, 422, 'no admin (or coordinator, or integrator) accounts')
    t.equal((await client(app, w.keys.supervisor).post('/v1/accounts', { body: { role: 'trainee', name: 'X', email: 'x@example.org', traineeId: w.trainee.id } })).statusCode, 403)
  })
})
