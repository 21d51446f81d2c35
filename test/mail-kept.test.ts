import t from 'tap'
import { sql } from 'drizzle-orm'
import { buildTestApp, client } from './helpers/app.ts'
import { auditRowsFor } from './helpers/accounts.ts'
import { makeOrganization, makeTrainee } from './helpers/factories.ts'
import { personWithPassword, shownSecret, totpCode } from './helpers/identity.ts'
import { drainMail, mailRows } from './helpers/mail.ts'
import { browser } from './helpers/web.ts'
import { pruneMail } from '../src/mail/mail-plugin.ts'

t.test('without SMTP, mail is kept for admins at /admin/mail', async (t) => {
  const testApp = await buildTestApp(t)
  const { app, db, adminKey } = testApp
  const admin = client(app, adminKey)
  const org = await makeOrganization(db)
  const trainee = (await admin.post('/v1/accounts', { body: { role: 'trainee', name: 'Kim <script>x()</script>', email: 'kim@example.org', traineeId: (await makeTrainee(db, org.id, null)).id } })).json()
  const invite = (await admin.post(`/v1/accounts/${trainee.id}/invitations`)).json()
  await drainMail(testApp)
  const kept = (await mailRows(db, 'invitation')).find((m) => m.to_address === 'kim@example.org')!

  t.test('the message is kept whole', async (t) => {
    t.match(kept, { state: 'kept', subject: 'You are invited to Rapport' })
    t.ok(kept.text_body?.includes(invite.url), 'with its link, for the admin to pass on')
  })

  const adminPerson = await personWithPassword(app, db, admin, { role: 'admin', email: 'boss@example.org' })
  // Admins set up their second factor before any page.
  const secret = shownSecret((await adminPerson.browser.get(adminPerson.firstStop)).body)!
  await adminPerson.browser.post(adminPerson.firstStop, { code: totpCode(secret) })
  const coordinator = await personWithPassword(app, db, admin, { role: 'coordinator', email: 'coord@example.org' })

  await t.test('an admin lists kept messages, newest first, and reads one rendered safely', async (t) => {
    const list = await adminPerson.browser.get('/admin/mail')
    t.equal(list.statusCode, 200)
    t.match(list.body, 'kim@example.org')
    t.ok(list.body.indexOf('coord@example.org') < list.body.indexOf('kim@example.org'), 'the newest message first')
    t.match(list.body, 'href="/admin/mail"', 'the admin\'s navigation names the page')
    const one = await adminPerson.browser.get(`/admin/mail/${kept.id}`)
    t.equal(one.statusCode, 200)
    t.match(one.body, invite.url, 'the text, with the link')
    t.notMatch(one.body, '<script>x()</script>', 'no script of the name runs: not in the page')
    t.match(one.body, /<iframe[^>]* sandbox=""[^>]* srcdoc="&lt;!doctype html&gt;/, 'the HTML sits escaped in a sandboxed frame')
    const audit = await auditRowsFor(db, 'mail_message', kept.id)
    t.match(audit, [{ action: 'mail_message.read', actorAccountId: adminPerson.account.id }], 'reading it is audited')
    t.equal((await adminPerson.browser.get('/admin/mail/00000000-0000-4000-8000-000000000000')).statusCode, 404)
    t.equal((await adminPerson.browser.get('/admin/mail/not-an-id')).statusCode, 404)
  })

  await t.test('nobody else reads them', async (t) => {
    t.equal((await coordinator.browser.get('/admin/mail')).statusCode, 403)
    t.equal((await coordinator.browser.get(`/admin/mail/${kept.id}`)).statusCode, 403)
    const anonymous = await browser(app).get('/admin/mail')
    t.equal(anonymous.statusCode, 303)
    t.match(anonymous.headers.location, /^\/sign-in/)
  })

  await t.test('pages of 50', async (t) => {
    await db.execute(sql`insert into mail_messages (template, to_address, subject, text_body, html_body, state, created_at)
      select 'invitation', 'bulk' || i || '@example.org', 'Bulk', 'text', '<p>html</p>', 'kept', now() - make_interval(mins => i) from generate_series(1, 60) i`)
    const first = await adminPerson.browser.get('/admin/mail')
    t.match(first.body, 'Page 1 of 2')
    t.match(first.body, 'href="/admin/mail?page=2"')
    const second = await adminPerson.browser.get('/admin/mail?page=2')
    t.match(second.body, 'bulk60@example.org', 'the oldest on the last page')
    t.notMatch(first.body, 'bulk60@example.org')
  })

  await t.test('kept messages go after 7 days', async (t) => {
    await db.execute(sql`update mail_messages set created_at = now() - interval '8 days' where to_address like 'bulk%'`)
    await pruneMail(app.db)
    t.equal((await mailRows(db)).filter((m) => m.to_address.startsWith('bulk')).length, 0, 'older than 7 days: gone')
    t.ok((await mailRows(db)).some((m) => m.id === kept.id), 'this week\'s stay')
  })
})
