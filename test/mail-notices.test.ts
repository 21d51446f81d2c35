import t from 'tap'
import { sql } from 'drizzle-orm'
import { buildTestApp, client } from './helpers/app.ts'
import { makeWorld } from './helpers/factories.ts'
import { drainMail, feedNotices, linkIn } from './helpers/mail.ts'
import { completeScores, createObservation, ifMatch } from './helpers/observations.ts'
import { startSmtp } from './helpers/smtp.ts'
import { rows } from '../src/db/rows.ts'
import type { FeedEvent } from '../src/events/consumers.ts'
import { mailNotices } from '../src/mail/notices.ts'

const BASE = 'https://rapport.example.org'
const NARRATIVE = { strengths: 'Calm and warm when the family cried.', areasForGrowth: 'Pause longer before answering.' }

t.test('notices from the feed: an observation is ready, a certificate issued or revoked', async (t) => {
  const smtp = await startSmtp(t)
  const testApp = await buildTestApp(t, { SMTP_URL: smtp.url, PUBLIC_BASE_URL: BASE })
  const { app, db, adminKey } = testApp
  const admin = client(app, adminKey)
  const w = await makeWorld(db)
  const [traineeAccount] = await rows<{ id: string }>(db, sql`select id from accounts where trainee_id = ${w.trainee.id}`)
  t.equal((await admin.patch(`/v1/accounts/${traineeAccount!.id}`, { body: { name: 'Tia Trainee', email: 'tia@example.org' } })).statusCode, 200)
  const mailTo = (address: string) => smtp.received.filter((m) => m.to.includes(address))

  await t.test('a submitted observation mails its trainee a link to it, and none of its content', async (t) => {
    const supervisor = client(app, w.keys.supervisor)
    const created = await createObservation(supervisor, w.trainee.id, { scores: completeScores(), ...NARRATIVE })
    const submitted = await supervisor.post(`/v1/observations/${created.json().id}/submit`, { headers: ifMatch(created) })
    t.equal(submitted.statusCode, 200, submitted.body)
    await feedNotices(testApp)
    await drainMail(testApp)
    const [mail] = mailTo('tia@example.org')
    t.ok(mail, 'one message to the trainee')
    t.equal(mail!.subject, 'A new observation is ready to read')
    t.equal(linkIn(mail!.text), `${BASE}/observations/${created.json().id}`, 'a link to its page')
    for (const secret of [NARRATIVE.strengths, NARRATIVE.areasForGrowth, 'Held gaze', 'hospice room', 'client anxious']) {
      t.notOk(mail!.text.includes(secret) || mail!.html.includes(secret), `nothing of it: ${secret}`)
    }
    await feedNotices(testApp)
    await drainMail(testApp)
    t.equal(mailTo('tia@example.org').length, 1, 'each event mails once')
  })

  /** A certificate event as the feed would hand it to the consumer. */
  const certificateEvent = (type: 'certificate.issued' | 'certificate.revoked', certificateId: string, seq: number): FeedEvent => ({
    seq, eventId: `00000000-0000-4000-8000-00000000000${seq}`, type, occurredAt: new Date(), subjectType: 'certificate', subjectId: certificateId,
    organizationIds: [w.org.id], programIds: [w.program.id], actorAccountId: null, data: {}
  })

  await t.test('a certificate issued, then revoked: the trainee hears of both, with the verification link', async (t) => {
    const [cert] = await rows<{ id: string; verification_code: string }>(db, sql`
      with rs as (insert into eligibility_rule_sets (program_id, version, rules, source) values (${w.program.id}, 99, '{}', 'api') returning id)
      insert into certificates (serial, verification_code, trainee_id, program_id, trainee_name, program_name, issuer_name, rule_set_id, issued_at, evidence, credential)
      select 'RC-T-1', 'code-abc', ${w.trainee.id}, ${w.program.id}, 'Tia', 'Palliative <Care>', 'Rapport', rs.id, now(), '{}', 'x' from rs
      returning id, verification_code`)
    t.ok(cert, 'a certificate to tell about')
    const notices = mailNotices(BASE)
    await app.db.transaction((tx) => notices.handle(tx, [certificateEvent('certificate.issued', cert!.id, 1), certificateEvent('certificate.revoked', cert!.id, 2)]))
    await drainMail(testApp)
    const subjects = mailTo('tia@example.org').slice(1).map((m) => m.subject).sort()
    t.same(subjects, ['Your certificate for Palliative <Care>', 'Your certificate for Palliative <Care> was revoked'])
    const issued = mailTo('tia@example.org').find((m) => m.subject === 'Your certificate for Palliative <Care>')
    t.equal(linkIn(issued?.text), `${BASE}/verify/code-abc`)
    t.match(issued?.html, 'Palliative &lt;Care&gt;')
  })

  await t.test('no mail to a trainee without an email, or deactivated', async (t) => {
    const before = smtp.received.length
    const [otherAccount] = await rows<{ id: string }>(db, sql`select id from accounts where trainee_id = ${w.otherTrainee.id}`)
    t.ok(otherAccount, 'the other trainee has an account, without an email')
    const other = client(app, w.keys.otherSupervisor)
    const created = await createObservation(other, w.otherTrainee.id, { scores: completeScores() })
    t.equal((await other.post(`/v1/observations/${created.json().id}/submit`, { headers: ifMatch(created) })).statusCode, 200)
    await db.execute(sql`update accounts set active = false where id = ${traineeAccount!.id}`)
    const supervisor = client(app, w.keys.supervisor)
    const second = await createObservation(supervisor, w.trainee.id, { scores: completeScores() })
    t.equal((await supervisor.post(`/v1/observations/${second.json().id}/submit`, { headers: ifMatch(second) })).statusCode, 200)
    await feedNotices(testApp)
    await drainMail(testApp)
    t.equal(smtp.received.length, before)
  })
})
