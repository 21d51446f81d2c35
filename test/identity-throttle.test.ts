import t from 'tap'
import { sql } from 'drizzle-orm'
import { buildTestApp, client } from './helpers/app.ts'
import { countRows, PASSWORD, passwordStep, personWithPassword } from './helpers/identity.ts'
import { browser } from './helpers/web.ts'

t.test('sign-in throttling', async (t) => {
  const { app, db, adminKey } = await buildTestApp(t)
  const admin = client(app, adminKey)
  const owner = await personWithPassword(app, db, admin, { email: 'owner@example.org', remoteAddress: '10.1.0.1' })

  await t.test('30 parallel wrong guesses: only the free attempts are checked, the rest wait', async (t) => {
    const b = browser(app, { remoteAddress: '10.9.0.1' })
    await b.get('/sign-in')
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => b.post('/sign-in', { email: 'owner@example.org', password: `wrong guess number ${i}` })))
    const checked = answers.filter((a) => a.statusCode === 401).length
    const waited = answers.filter((a) => a.statusCode === 429).length
    t.equal(checked, 5, 'five guesses were checked against the password')
    t.equal(waited, 25, 'the other 25 were refused before any check')
    const waiting = answers.find((a) => a.statusCode === 429)!
    t.match(waiting.body, /Too many attempts\. Wait \d+ seconds?/)
    t.match(waiting.headers['retry-after'], /^\d+$/)
    t.equal((await passwordStep(app, 'owner@example.org', PASSWORD, '10.9.0.2')).status, 429, 'even the right password waits, from an address the owner never used')
  })

  await t.test('the owner at their usual address is not locked out by those guesses', async (t) => {
    const res = await passwordStep(app, 'owner@example.org', PASSWORD, '10.1.0.1')
    t.equal(res.status, 303, 'signed in')
    t.notOk(res.location?.startsWith('/sign-in'))
    const known = await countRows(db, sql`select count(*)::int as n from account_known_addresses where account_id = ${owner.account.id}`)
    t.equal(known, 1, 'the address is remembered as theirs')
  })

  await t.test('the owner\'s own mistakes at their usual address still slow them down', async (t) => {
    const statuses = []
    for (let i = 0; i < 6; i++) statuses.push((await passwordStep(app, 'owner@example.org', `my own typo ${i}`, '10.1.0.1')).status)
    t.same(statuses, [401, 401, 401, 401, 401, 429])
    await db.execute(sql`update sign_in_throttle set blocked_until = now() - interval '1 second'`)
    t.equal((await passwordStep(app, 'owner@example.org', PASSWORD, '10.1.0.1')).status, 303, 'after the wait, the right password works')
  })
})
