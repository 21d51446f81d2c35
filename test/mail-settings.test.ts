import t from 'tap'
import { sql } from 'drizzle-orm'
import { buildTestApp, client } from './helpers/app.ts'
import { auditRowsFor } from './helpers/accounts.ts'
import { makeAccount, makeOrganization, makeSupervisor } from './helpers/factories.ts'
import { countRows, personWithPassword } from './helpers/identity.ts'

t.test('reminder emails off and on: PATCH /v1/me and the settings page', async (t) => {
  const { app, db, adminKey } = await buildTestApp(t)
  const org = await makeOrganization(db)
  const made = await makeAccount(db, 'supervisor', { supervisorId: (await makeSupervisor(db, org.id)).id })
  const me = client(app, made.key)
  const reminders = () => countRows(db, sql`select (case when email_reminders then 1 else 0 end)::int as n from accounts where id = ${made.account.id}`)

  await t.test('GET /v1/me shows the setting, with an ETag', async (t) => {
    const res = await me.get('/v1/me')
    t.equal(res.statusCode, 200)
    t.equal(res.json().emailReminders, true, 'on by default')
    t.match(res.headers.etag, /^"[0-9a-f-]+\.\d+"$/)
  })

  await t.test('PATCH /v1/me turns reminders off, honours If-Match, and is audited', async (t) => {
    const read = await me.get('/v1/me')
    const stale = `"${made.account.id}.999"`
    const refused = await me.patch('/v1/me', { body: { emailReminders: false }, headers: { 'if-match': stale } })
    t.equal(refused.statusCode, 412, 'a stale ETag is refused')
    t.equal(await reminders(), 1, 'and changes nothing')
    const off = await me.patch('/v1/me', { body: { emailReminders: false }, headers: { 'if-match': String(read.headers.etag) } })
    t.equal(off.statusCode, 200, off.body)
    t.equal(off.json().emailReminders, false)
    t.not(off.headers.etag, read.headers.etag, 'a new ETag')
    t.equal(off.json().account.id, made.account.id)
    t.equal(await reminders(), 0)
    const audit = (await auditRowsFor(db, 'account', made.account.id)).filter((r) => r.action === 'account.update')
    t.match(audit, [{ actorAccountId: made.account.id, changes: { emailReminders: { from: true, to: false } } }])
    t.equal((await me.patch('/v1/me', { body: { emailReminders: false } })).statusCode, 200, 'without If-Match too, like accounts')
    t.equal((await auditRowsFor(db, 'account', made.account.id)).filter((r) => r.action === 'account.update').length, 1, 'no change, no audit row')
    t.equal((await me.patch('/v1/me', { body: { emailReminders: true } })).json().emailReminders, true, 'and back on')
  })

  await t.test('bad input is a 400 problem', async (t) => {
    for (const body of [{}, { emailReminders: 'no' }, { name: 'Someone else' }]) {
      const res = await me.patch('/v1/me', { body })
      t.equal(res.statusCode, 400, JSON.stringify(body))
      t.match(res.headers['content-type'], 'application/problem+json')
    }
    t.equal((await client(app, null).patch('/v1/me', { body: { emailReminders: false } })).statusCode, 401)
  })

  await t.test('the settings page has the same switch', async (t) => {
    const person = await personWithPassword(app, db, client(app, adminKey), { email: 'sam@example.org' })
    const b = person.browser
    const page = await b.get('/account')
    t.match(page.body, /<input type="checkbox" name="emailReminders" value="on" checked>/, 'on, ticked')
    const off = await b.post('/account/reminders', {})
    t.equal(off.statusCode, 200)
    t.match(off.body, 'Reminder emails are off.')
    t.match(off.body, /<input type="checkbox" name="emailReminders" value="on">/, 'no longer ticked')
    t.equal(await countRows(db, sql`select count(*)::int as n from accounts where id = ${person.account.id} and not email_reminders`), 1)
    t.match((await b.post('/account/reminders', { emailReminders: 'on' })).body, 'Reminder emails are on.')
    t.equal((await b.post('/account/reminders', { emailReminders: 'on' }, { csrf: null })).statusCode, 403, 'a forged form is refused')
  })
})
