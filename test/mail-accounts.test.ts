import t from 'tap'
import { sql } from 'drizzle-orm'
import { buildTestApp, client } from './helpers/app.ts'
import { auditRowsFor } from './helpers/accounts.ts'
import { makeOrganization, makeTrainee } from './helpers/factories.ts'
import { countRows, passwordStep, personWithPassword } from './helpers/identity.ts'
import { drainMail, linkIn } from './helpers/mail.ts'
import { startSmtp } from './helpers/smtp.ts'
import { browser } from './helpers/web.ts'

const NEW_PASSWORD = 'my brand new pass phrase 42'

t.test('mail about accounts: invitations, resets by an admin, forgot password', async (t) => {
  const smtp = await startSmtp(t)
  const testApp = await buildTestApp(t, { SMTP_URL: smtp.url })
  const { app, db, adminKey } = testApp
  const admin = client(app, adminKey)
  const mailTo = (address: string) => smtp.received.filter((m) => m.to.includes(address))

  await t.test('an invitation is mailed, and the API still answers with the same link', async (t) => {
    const org = await makeOrganization(db)
    const created = (await admin.post('/v1/accounts', { body: { role: 'trainee', name: 'Inés Invited', email: 'ines@example.org', traineeId: (await makeTrainee(db, org.id, null)).id } })).json()
    const invite = await admin.post(`/v1/accounts/${created.id}/invitations`)
    t.equal(invite.statusCode, 201)
    await drainMail(testApp)
    const [mail] = mailTo('ines@example.org')
    t.ok(mail, 'one message to the person')
    t.equal(mail!.subject, 'You are invited to Rapport')
    t.match(mail!.text, 'Hello Inés Invited,')
    t.equal(linkIn(mail!.text), invite.json().url, 'the mailed link is the one the API returned')
    t.equal((await browser(app).get(new URL(invite.json().url).pathname)).statusCode, 200, 'and it opens the set-password page')
  })

  await t.test('a refused invitation mails nothing', async (t) => {
    const before = smtp.received.length
    const noEmail = (await admin.post('/v1/accounts', { body: { role: 'coordinator', name: 'No Mail', programIds: [] } })).json()
    t.equal((await admin.post(`/v1/accounts/${noEmail.id}/invitations`)).statusCode, 422)
    await drainMail(testApp)
    t.equal(smtp.received.length, before)
  })

  const owner = await personWithPassword(app, db, admin, { email: 'owner@example.org', name: 'Olga Owner' })

  await t.test('an admin\'s password reset tells the owner, with the link', async (t) => {
    await drainMail(testApp)
    const before = mailTo('owner@example.org').length
    const reset = await admin.post(`/v1/accounts/${owner.account.id}/password-resets`)
    t.equal(reset.statusCode, 201)
    await drainMail(testApp)
    const mails = mailTo('owner@example.org')
    t.equal(mails.length, before + 1)
    t.equal(mails.at(-1)!.subject, 'An administrator reset your Rapport password')
    t.equal(linkIn(mails.at(-1)!.text), reset.json().url)
  })

  await t.test('forgot password: the same answer for a known and an unknown address; only the known one gets a link', async (t) => {
    await drainMail(testApp)
    const before = smtp.received.length
    const b = browser(app, { remoteAddress: '198.51.100.1' })
    const form = await b.get('/forgot-password')
    t.equal(form.statusCode, 200)
    t.match(form.body, 'name="email"')
    t.match((await b.get('/sign-in')).body, 'href="/forgot-password"', 'the sign-in page links to it')
    const known = await b.post('/forgot-password', { email: 'Owner@Example.org' })
    const unknown = await b.post('/forgot-password', { email: 'nobody@example.org' })
    t.equal(known.statusCode, 200)
    t.equal(unknown.statusCode, known.statusCode, 'the same status')
    t.equal(unknown.body, known.body, 'the same page, word for word')
    t.match(known.body, 'If an account uses that address')
    t.equal(await countRows(db, sql`select count(*)::int as n from mail_messages where template = 'password-reset-request' and state = 'pending'`), 2,
      'the request only queued two requests, one per address, whatever they are')
    await drainMail(testApp)
    t.equal(smtp.received.length, before + 1, 'one message in all')
    const mail = mailTo('owner@example.org').at(-1)!
    t.equal(mail.subject, 'Reset your Rapport password')
    t.equal(mailTo('nobody@example.org').length, 0, 'nothing to an address without an account')

    const link = new URL(linkIn(mail.text)!).pathname
    t.match(link, /^\/password-resets\//)
    const person = browser(app)
    t.equal((await person.get(link)).statusCode, 200)
    t.equal((await person.post(link, { password: NEW_PASSWORD, confirm: NEW_PASSWORD })).statusCode, 303, 'the link sets a new password')
    t.equal((await passwordStep(app, 'owner@example.org', NEW_PASSWORD)).status, 303, 'which signs in')
    t.equal((await browser(app).get(link)).statusCode, 410, 'once')
    const audit = (await auditRowsFor(db, 'account', owner.account.id)).filter((r) => r.action === 'account.password_reset').at(-1)
    t.match(audit, { actorAccountId: owner.account.id, changes: { via: 'forgot-password' } }, 'audited as the person\'s own request')
  })

  await t.test('forgot password for an account still without a password sends a new invitation', async (t) => {
    const org = await makeOrganization(db)
    await admin.post('/v1/accounts', { body: { role: 'trainee', name: 'Lost Link', email: 'lost@example.org', traineeId: (await makeTrainee(db, org.id, null)).id } })
    const b = browser(app, { remoteAddress: '198.51.100.2' })
    await b.get('/forgot-password')
    await b.post('/forgot-password', { email: 'lost@example.org' })
    await drainMail(testApp)
    const mail = mailTo('lost@example.org').at(-1)
    t.equal(mail?.subject, 'You are invited to Rapport')
    t.match(linkIn(mail?.text), /\/invitations\//)
  })

  await t.test('throttled per address asked for, and per client, with the same answer', async (t) => {
    await drainMail(testApp)
    const before = mailTo('owner@example.org').length
    const answers = new Set<string>()
    for (let i = 0; i < 5; i++) {
      const b = browser(app, { remoteAddress: `203.0.113.${10 + i}` })
      await b.get('/forgot-password')
      const res = await b.post('/forgot-password', { email: 'owner@example.org' })
      answers.add(`${res.statusCode} ${res.body}`)
    }
    t.equal(answers.size, 1, 'every answer alike, throttled or not')
    await drainMail(testApp)
    t.equal(mailTo('owner@example.org').length - before, 2, 'three links a day per address (one was used above), the rest wait')

    const sprayer = browser(app, { remoteAddress: '192.0.2.77' })
    await sprayer.get('/forgot-password')
    for (let i = 0; i < 14; i++) await sprayer.post('/forgot-password', { email: `spray${i}@example.org` })
    t.equal(await countRows(db, sql`select count(*)::int as n from mail_messages where template = 'password-reset-request' and to_address like 'spray%'`), 10,
      'one client gets ten requests through, then waits')
  })

  await t.test('a deactivated account gets no link', async (t) => {
    const gone = await personWithPassword(app, db, admin, { email: 'gone@example.org' })
    t.equal((await admin.post(`/v1/accounts/${gone.account.id}/deactivate`)).statusCode, 200)
    await drainMail(testApp)
    const before = mailTo('gone@example.org').length
    const b = browser(app, { remoteAddress: '198.51.100.3' })
    await b.get('/forgot-password')
    await b.post('/forgot-password', { email: 'gone@example.org' })
    await drainMail(testApp)
    t.equal(mailTo('gone@example.org').length, before)
  })
})
