import { eq, sql } from 'drizzle-orm'
import t from 'tap'
import { rows } from '../src/db/rows.ts'
import { accounts } from '../src/db/schema/index.ts'
import { dailyJobs } from '../src/schedules/schedules-plugin.ts'
import { runTick } from '../src/schedules/tick.ts'
import { buildTestApp } from './helpers/app.ts'
import { mailsTo, observationAt, setReminderDays, zonedWorld } from './helpers/schedules.ts'

const { app, db } = await buildTestApp(t)
const jobs = dailyJobs('https://rapport.example')
// Los Angeles is UTC-7 in summer: 14:00 UTC is 07:00 there, after the jobs' hour (6).
const tick = (localDay: string) => runTick({ db: app.db, jobs, localHour: 6 }, new Date(`${localDay}T14:00:00Z`))

const w = await zonedWorld(db, 'America/Los_Angeles')
await setReminderDays(db, w.program.id, { acknowledge: 3, draft: 5 })
const emailOf = async (accountId: string) => (await db.select({ email: accounts.email }).from(accounts).where(eq(accounts.id, accountId)))[0]!.email!

const trainee = { id: w.trainee.id, email: await emailOf(w.account.id) }
const supervisorEmail = await emailOf(w.supervisorAccount.id)
const reminded = async (kind: string) => (await rows<{ object_id: string }>(db, sql`select object_id from reminders_sent where kind = ${kind} order by object_id`)).map((r) => r.object_id)

t.test('trainees are reminded of observations submitted N local days ago, once each, one message a run', async (t) => {
  // 06:30 UTC on 1 June is 23:30 on 31 May in Los Angeles: three local days on, it is 3 June (in UTC it would be 4 June).
  const first = await observationAt(db, w, trainee.id, { status: 'submitted', sessionDate: '2026-05-30', at: '2026-06-01T06:30:00Z' })
  const second = await observationAt(db, w, trainee.id, { status: 'submitted', sessionDate: '2026-05-30', at: '2026-06-01T05:00:00Z' })
  await observationAt(db, w, trainee.id, { status: 'acknowledged', sessionDate: '2026-05-30', at: '2026-05-20T05:00:00Z' })
  await tick('2026-06-02')
  t.same(await mailsTo(db, trainee.email), [], 'two local days are not three')
  await tick('2026-06-03')
  const mails = await mailsTo(db, trainee.email)
  t.same(mails.map((m) => m.template), ['acknowledge-reminder'], 'one message for both observations')
  t.match(mails[0]!.subject, /^2 observations/)
  t.match(mails[0]!.text_body, /submitted 3 or more days ago/)
  t.match(mails[0]!.text_body, 'https://rapport.example/my/observations', 'an absolute link to the page')
  t.same(await reminded('acknowledge'), [first, second].sort())

  await tick('2026-06-04')
  t.equal((await mailsTo(db, trainee.email)).length, 1, 'not reminded twice')
  // A day the service missed is covered by the next run: submitted 1 June, due 4 June, run on 6 June.
  const third = await observationAt(db, w, trainee.id, { status: 'submitted', sessionDate: '2026-06-01', at: '2026-06-01T20:00:00Z' })
  await tick('2026-06-06')
  const again = await mailsTo(db, trainee.email)
  t.equal(again.length, 2)
  t.match(again[1]!.subject, /^1 observation waiting/)
  t.ok((await reminded('acknowledge')).includes(third))
})

t.test('no reminder to those who turned them off, deactivated accounts or accounts without an address', async (t) => {
  const off = await w.person()
  await db.update(accounts).set({ emailReminders: false }).where(eq(accounts.id, off.account.id))
  const inactive = await w.person()
  await db.update(accounts).set({ active: false }).where(eq(accounts.id, inactive.account.id))
  const noAddress = await w.person()
  await db.update(accounts).set({ email: null }).where(eq(accounts.id, noAddress.account.id))
  const ids = []
  for (const p of [off, inactive, noAddress]) ids.push(await observationAt(db, w, p.trainee.id, { status: 'submitted', sessionDate: '2026-06-01', at: '2026-06-02T20:00:00Z' }))
  await tick('2026-06-10')
  t.same(await mailsTo(db, await emailOf(off.account.id)), [])
  t.same(await mailsTo(db, await emailOf(inactive.account.id)), [])
  const sent = await reminded('acknowledge')
  t.notOk(ids.some((id) => sent.includes(id)), 'their observations stay unreminded, should they turn reminders on')
  await db.update(accounts).set({ emailReminders: true }).where(eq(accounts.id, off.account.id))
  await tick('2026-06-11')
  t.same((await mailsTo(db, await emailOf(off.account.id))).map((m) => m.template), ['acknowledge-reminder'])
})

t.test('supervisors are reminded of drafts open N days, per the program', async (t) => {
  const draft = await observationAt(db, w, trainee.id, { status: 'draft', sessionDate: '2026-06-12', at: '2026-06-12T18:00:00Z' })
  await tick('2026-06-16')
  t.same(await mailsTo(db, supervisorEmail), [], 'four days open')
  await tick('2026-06-17')
  const mails = await mailsTo(db, supervisorEmail)
  t.same(mails.map((m) => m.template), ['draft-reminder'])
  t.match(mails[0]!.subject, /^1 draft observation still open/)
  t.match(mails[0]!.text_body, 'https://rapport.example/my/trainees')
  t.same(await reminded('draft'), [draft])
  await tick('2026-06-18')
  t.equal((await mailsTo(db, supervisorEmail)).length, 1, 'once')
})

t.test('a program without reminder days sends none', async (t) => {
  await setReminderDays(db, w.program.id, { acknowledge: null, draft: null })
  const other = await w.person()
  await observationAt(db, w, other.trainee.id, { status: 'submitted', sessionDate: '2026-06-01', at: '2026-06-01T20:00:00Z' })
  await observationAt(db, w, other.trainee.id, { status: 'draft', sessionDate: '2026-06-01', at: '2026-06-01T20:00:00Z' })
  await tick('2026-07-01')
  t.same(await mailsTo(db, await emailOf(other.account.id)), [])
  t.equal((await mailsTo(db, supervisorEmail)).length, 1, 'nor a draft reminder')
})
