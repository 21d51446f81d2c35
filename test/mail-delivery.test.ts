import t from 'tap'
import { sql } from 'drizzle-orm'
import type { FastifyBaseLogger } from 'fastify'
import { buildTestApp, client } from './helpers/app.ts'
import { makeOrganization, makeTrainee } from './helpers/factories.ts'
import { drainMail, linkIn, mailRows } from './helpers/mail.ts'
import { startSmtp } from './helpers/smtp.ts'
import { queueMail } from '../src/mail/queue.ts'
import { smtpTransport } from '../src/mail/transport.ts'
import { MAX_ATTEMPTS, mailWorkerOnce } from '../src/mail/worker.ts'

const invitation = (to: string, link = 'http://localhost/invitations/tok-123') =>
  ({ template: 'invitation' as const, to, vars: { name: 'Ana <b>Sousa</b>', link, expiresAt: '2030-01-01T00:00:00.000Z' } })

/** Makes every waiting message due now, as if its retry time had come. */
const makeDue = (db: TestDb) => db.execute(sql`update mail_messages set next_attempt_at = now() where state = 'pending'`)
type TestDb = Awaited<ReturnType<typeof buildTestApp>>['db']

t.test('over SMTP: queued in the transaction, sent once, bodies cleared, retried when refused', async (t) => {
  const smtp = await startSmtp(t)
  const testApp = await buildTestApp(t, { SMTP_URL: smtp.url, PUBLIC_BASE_URL: 'https://rapport.example.org' })
  const { app, db } = testApp

  await t.test('a change that rolls back sends nothing', async (t) => {
    await t.rejects(app.db.transaction(async (tx) => {
      await queueMail(tx, invitation('rolled@example.org'))
      throw new Error('the change failed')
    }))
    await drainMail(testApp)
    t.same(await mailRows(db), [], 'no message row')
    t.equal(smtp.received.length, 0, 'nothing reached the SMTP server')
  })

  await t.test('a committed message reaches the server, from the default sender, as text and HTML', async (t) => {
    await app.db.transaction(async (tx) => { await queueMail(tx, invitation('ana@example.org')) })
    const [queued] = await mailRows(db)
    t.equal(queued!.state, 'pending', 'waiting for the worker')
    await drainMail(testApp)
    t.equal(smtp.received.length, 1)
    const got = smtp.received[0]!
    t.same(got.to, ['ana@example.org'])
    t.match(got.from, /^"?Rapport"? <no-reply@rapport\.example\.org>$/, 'MAIL_FROM defaults to no-reply at the public host')
    t.equal(got.subject, 'You are invited to Rapport')
    t.equal(linkIn(got.text), 'http://localhost/invitations/tok-123')
    t.match(got.html, 'Ana &lt;b&gt;Sousa&lt;/b&gt;', 'the HTML part arrives, escaped')
    const [sent] = await mailRows(db)
    t.match(sent, { state: 'sent', attempts: 1, text_body: null, html_body: null, error: null }, 'sent, and no link lingers in the database')
    await drainMail(testApp)
    t.equal(smtp.received.length, 1, 'sent once')
  })

  await t.test('refused (451), the message waits for its retry, then goes', async (t) => {
    await db.execute(sql`delete from mail_messages`)
    smtp.refuseNext(1)
    await app.db.transaction(async (tx) => { await queueMail(tx, invitation('retry@example.org')) })
    await drainMail(testApp)
    t.equal(smtp.refused(), 1, 'the server refused the first try')
    const [waiting] = await mailRows(db)
    t.match(waiting, { state: 'pending', attempts: 1, error: /451/ }, 'back to pending, the SMTP code noted')
    t.ok(waiting!.text_body, 'the body stays for the next try')
    await drainMail(testApp)
    t.equal(smtp.received.length, 1, 'not retried before its time')
    await makeDue(db)
    await drainMail(testApp)
    t.equal(smtp.received.length, 2, 'the retry is accepted')
    t.same(smtp.received[1]!.to, ['retry@example.org'])
    t.match((await mailRows(db))[0], { state: 'sent', attempts: 2, error: null, text_body: null })
  })

  await t.test(`refused ${MAX_ATTEMPTS} times, the message fails for good, without its bodies`, async (t) => {
    await db.execute(sql`delete from mail_messages`)
    smtp.refuseNext(MAX_ATTEMPTS)
    await app.db.transaction(async (tx) => { await queueMail(tx, invitation('never@example.org')) })
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      await makeDue(db)
      await drainMail(testApp)
    }
    t.match((await mailRows(db))[0], { state: 'failed', attempts: MAX_ATTEMPTS, text_body: null, html_body: null })
    await makeDue(db)
    await drainMail(testApp)
    t.equal(smtp.received.filter((m) => m.to[0] === 'never@example.org').length, 0, 'never sent, never tried again')
  })

  await t.test('a message an instance claimed but never finished is sent once its lease ran out', async (t) => {
    await db.execute(sql`delete from mail_messages`)
    await app.db.transaction(async (tx) => { await queueMail(tx, invitation('lease@example.org')) })
    await db.execute(sql`update mail_messages set state = 'sending', attempts = 1, lease_until = now() + interval '1 minute'`)
    await drainMail(testApp)
    t.equal(smtp.received.filter((m) => m.to[0] === 'lease@example.org').length, 0, 'not while another instance holds it')
    await db.execute(sql`update mail_messages set lease_until = now() - interval '1 second'`)
    await drainMail(testApp)
    t.equal(smtp.received.filter((m) => m.to[0] === 'lease@example.org').length, 1, 'sent after the lease')
    t.match((await mailRows(db))[0], { state: 'sent', attempts: 2 })
  })

  await t.test('the log says which template went to which domain, and nothing else', async (t) => {
    await db.execute(sql`delete from mail_messages`)
    const lines: Array<{ fields: Record<string, unknown>; msg: string }> = []
    const capture = (fields: Record<string, unknown>, msg: string) => { lines.push({ fields, msg }) }
    const log = { info: capture, warn: capture, error: capture } as unknown as FastifyBaseLogger
    await app.db.transaction(async (tx) => { await queueMail(tx, invitation('Logged.Person@Example.ORG', 'https://rapport.example.org/invitations/secret-token')) })
    const transport = smtpTransport(testApp.config)
    t.teardown(() => transport?.close())
    await mailWorkerOnce({ db: app.db, transport, baseUrl: testApp.config.PUBLIC_BASE_URL, log })
    t.same(lines, [{ fields: { template: 'invitation', recipientDomain: 'example.org' }, msg: 'mail sent' }])
    t.notMatch(JSON.stringify(lines), /secret-token|Logged\.Person|Ana/i, 'no address, name or link')
  })
})

/** Waits for the background loops (no timing asserted: only that it happens). */
async function eventually(check: () => boolean | Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return true
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return false
}

t.test('with the background loops on, a queued message goes out on its own', async (t) => {
  const smtp = await startSmtp(t)
  const testApp = await buildTestApp(t, { SMTP_URL: smtp.url, DISPATCHER_ENABLED: 'true' })
  const { app, db, adminKey } = testApp
  const admin = client(app, adminKey)
  const org = await makeOrganization(db)
  const created = (await admin.post('/v1/accounts', { body: { role: 'trainee', name: 'Looped', email: 'loop@example.org', traineeId: (await makeTrainee(db, org.id, null)).id } })).json()
  const invite = await admin.post(`/v1/accounts/${created.id}/invitations`)
  t.equal(invite.statusCode, 201)
  t.ok(await eventually(() => smtp.received.some((m) => m.to.includes('loop@example.org'))), 'the invitation arrives')
  t.ok(await eventually(async () => (await mailRows(db, 'invitation'))[0]?.state === 'sent'), 'and is marked sent')
})
