import t from 'tap'
import { sql } from 'drizzle-orm'
import { buildTestApp, client } from './helpers/app.ts'
import { auditRowsFor } from './helpers/accounts.ts'
import { makeAccount } from './helpers/factories.ts'
import { countRows, PASSWORD, passwordStep, personWithPassword } from './helpers/identity.ts'

const NEW_PASSWORD = 'a completely different phrase 9'

t.test('changing one\'s password and signing out everywhere', async (t) => {
  const { app, db, adminKey } = await buildTestApp(t)
  const admin = client(app, adminKey)
  const person = await personWithPassword(app, db, admin, { email: 'changer@example.org' })
  const sessions = () => countRows(db, sql`select count(*)::int as n from web_sessions where account_id = ${person.account.id}`)

  await t.test('from the account page: the current password is required, other sessions end, this one stays', async (t) => {
    const other = await passwordStep(app, 'changer@example.org')
    const b = person.browser
    const page = await b.get('/account')
    t.equal(page.statusCode, 200)
    t.match(page.body, /Change password/)
    const wrong = await b.post('/account/password', { current: 'not my password', password: NEW_PASSWORD, confirm: NEW_PASSWORD })
    t.equal(wrong.statusCode, 422)
    t.match(wrong.body, /id="current-error"[^>]*>That is not your current password/)
    const weak = await b.post('/account/password', { current: PASSWORD, password: 'short', confirm: 'short' })
    t.match(weak.body, /id="password-error"[^>]*>Use at least 12 characters/)
    const done = await b.post('/account/password', { current: PASSWORD, password: NEW_PASSWORD, confirm: NEW_PASSWORD })
    t.equal(done.statusCode, 200)
    t.match(done.body, /Password changed\. 1 other session ended/)
    t.equal((await b.get('/my/trainees')).statusCode, 200, 'still signed in here')
    t.equal((await other.b.get('/my/trainees')).statusCode, 303, 'signed out on the other device')
    t.equal(await sessions(), 1)
    t.equal((await passwordStep(app, 'changer@example.org', NEW_PASSWORD)).status, 303, 'the new password works')
    t.ok((await auditRowsFor(db, 'account', person.account.id)).some((a) => a.action === 'account.password_change'), 'audited')
  })

  await t.test('sign out everywhere from the account page ends every session, this one too', async (t) => {
    const other = await passwordStep(app, 'changer@example.org', NEW_PASSWORD)
    const b = person.browser
    await b.get('/account')
    const out = await b.post('/account/sign-out-everywhere', {})
    t.equal(out.statusCode, 303)
    t.equal(out.headers.location, '/sign-in')
    t.equal(await sessions(), 0)
    t.equal((await other.b.get('/my/trainees')).statusCode, 303)
  })

  await t.test('through the API with the person\'s key: /v1/me/password and DELETE /v1/me/sessions', async (t) => {
    const key = (await admin.post(`/v1/accounts/${person.account.id}/api-keys`, { body: { name: 'laptop' } })).json().key
    const me = client(app, key)
    const signedIn = await passwordStep(app, 'changer@example.org', NEW_PASSWORD)
    const wrong = await me.post('/v1/me/password', { body: { currentPassword: 'nope nope nope', newPassword: PASSWORD } })
    t.match(wrong.json(), { status: 422, code: 'current-password-wrong', errors: [{ pointer: '/currentPassword' }] })
    const weak = await me.post('/v1/me/password', { body: { currentPassword: NEW_PASSWORD, newPassword: 'changer is me 1' } })
    t.match(weak.json(), { status: 422, code: 'password-too-weak' })
    const changed = await me.post('/v1/me/password', { body: { currentPassword: NEW_PASSWORD, newPassword: PASSWORD } })
    t.equal(changed.statusCode, 200, changed.body)
    t.same(changed.json(), { sessionsEnded: 1 })
    t.equal((await signedIn.b.get('/my/trainees')).statusCode, 303, 'the web session ended')
    await passwordStep(app, 'changer@example.org', PASSWORD)
    await passwordStep(app, 'changer@example.org', PASSWORD)
    const out = await me.delete('/v1/me/sessions')
    t.same(out.json(), { sessionsEnded: 2 })
    t.equal(await sessions(), 0)
    const integrator = client(app, (await makeAccount(db, 'integrator', { organizationId: person.organizationId })).key)
    t.match((await integrator.post('/v1/me/password', { body: { currentPassword: 'x', newPassword: NEW_PASSWORD } })).json(), { status: 409, code: 'account-has-no-password' })
  })

  await t.test('guessing the current password is throttled', async (t) => {
    const key = (await admin.post(`/v1/accounts/${person.account.id}/api-keys`, { body: { name: 'second' } })).json().key
    const me = client(app, key)
    const statuses = []
    for (let i = 0; i < 6; i++) statuses.push((await me.post('/v1/me/password', { body: { currentPassword: `guess ${i} guess`, newPassword: NEW_PASSWORD } })).statusCode)
    t.same(statuses, [422, 422, 422, 422, 422, 429])
    const waiting = await me.post('/v1/me/password', { body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD } })
    t.match(waiting.json(), { status: 429, code: 'too-many-attempts' })
    t.match(waiting.headers['retry-after'], /^\d+$/)
  })
})
