import t from 'tap'
import { buildTestApp, client } from './helpers/app.ts'
import { PASSWORD, passwordStep, personWithPassword, shownRecoveryCodes, shownSecret, totpCode } from './helpers/identity.ts'

t.test('two-factor is required for admins, and by a setting for coordinators', async (t) => {
  const { app, db, adminKey } = await buildTestApp(t, { REQUIRE_TOTP_FOR_COORDINATORS: 'true' })
  const admin = client(app, adminKey)

  await t.test('an admin with the right password but no second factor must set it up before any page', async (t) => {
    const person = await personWithPassword(app, db, admin, { role: 'admin', email: 'root@example.org' })
    t.match(person.firstStop, /^\/sign-in\/enrol/, 'the invitation leads to setting up two-factor')
    const b = person.browser
    t.equal((await b.get('/cohorts')).statusCode, 303, 'no page before that')
    t.equal((await b.get('/account')).statusCode, 303)
    const step = await passwordStep(app, 'root@example.org')
    t.match(step.location, /^\/sign-in\/enrol/, 'signing in again leads there too')
    t.equal((await step.b.get('/sign-in/code')).headers.location, '/sign-in', 'and not to the code page')
    const setup = await step.b.get(step.location!)
    t.match(setup.body, /Your role needs a second factor/)
    const secret = shownSecret(setup.body)!
    t.equal((await step.b.post(step.location!, { code: 'abcdef' })).statusCode, 422)
    const done = await step.b.post(step.location!, { code: totpCode(secret) })
    t.equal(done.statusCode, 200)
    t.equal(shownRecoveryCodes(done.body).length, 10)
    t.equal((await step.b.get('/cohorts')).statusCode, 200, 'now signed in')
    const account = await step.b.get('/account')
    t.match(account.body, /Your role requires two-factor sign-in, so it stays on/)
    t.notMatch(account.body, /Turn off two-factor/)
    t.equal((await step.b.post('/account/two-factor/remove', { current: PASSWORD })).statusCode, 403, 'an admin cannot turn it off')
    const next = await passwordStep(app, 'root@example.org')
    t.match(next.location, /^\/sign-in\/code/, 'from then on a code is asked')
  })

  await t.test('with REQUIRE_TOTP_FOR_COORDINATORS a coordinator must set it up too', async (t) => {
    const person = await personWithPassword(app, db, admin, { role: 'coordinator', email: 'coord@example.org' })
    t.match(person.firstStop, /^\/sign-in\/enrol/)
    t.match((await passwordStep(app, 'coord@example.org')).location, /^\/sign-in\/enrol/)
  })

  await t.test('supervisors are never forced', async (t) => {
    const person = await personWithPassword(app, db, admin, { email: 'sup@example.org' })
    t.equal(person.firstStop, '/')
  })
})

t.test('without the setting, coordinators choose', async (t) => {
  const { app, db, adminKey } = await buildTestApp(t)
  const person = await personWithPassword(app, db, client(app, adminKey), { role: 'coordinator', email: 'coord@example.org' })
  t.equal(person.firstStop, '/')
  t.equal((await passwordStep(app, 'coord@example.org')).location, '/')
})
