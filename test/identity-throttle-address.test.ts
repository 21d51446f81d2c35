import t from 'tap'
import { buildTestApp } from './helpers/app.ts'
import { passwordStep } from './helpers/identity.ts'
import { browser } from './helpers/web.ts'

t.test('sign-in throttling per client address', async (t) => {
  const { app } = await buildTestApp(t)

  await t.test('spraying many accounts from one address is slowed', async (t) => {
    const b = browser(app, { remoteAddress: '10.7.0.1' })
    await b.get('/sign-in')
    const statuses = []
    for (let i = 0; i < 22; i++) statuses.push((await b.post('/sign-in', { email: `person${i}@example.org`, password: 'Winter2026 is here' })).statusCode)
    t.same(statuses.slice(0, 20), Array(20).fill(401), 'one guess at each of 20 accounts is checked')
    t.same(statuses.slice(20), [429, 429], 'then the address waits, whichever account it tries')
    t.equal((await passwordStep(app, 'person21@example.org', 'Winter2026 is here', '10.7.0.2')).status, 401, 'another address is not held up')
  })

  await t.test('IPv6 addresses are limited by their /64', async (t) => {
    for (let i = 0; i < 20; i++) await passwordStep(app, `v6-${i}@example.org`, 'a guess', `2001:db8:1:2::${(i + 1).toString(16)}`)
    t.equal((await passwordStep(app, 'v6-last@example.org', 'a guess', '2001:db8:1:2:ffff::9')).status, 429, 'another address of the same /64 waits')
    t.equal((await passwordStep(app, 'v6-last@example.org', 'a guess', '2001:db8:1:3::1')).status, 401, 'the next /64 does not')
  })
})
