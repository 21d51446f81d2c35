import t from 'tap'
import { sql } from 'drizzle-orm'
import { buildTestApp, client } from './helpers/app.ts'
import { auditRowsFor } from './helpers/accounts.ts'
import { rows } from '../src/db/rows.ts'
import { assign, linkProgram, makeAccount, makeCohort, makeProgram, makeTrainee } from './helpers/factories.ts'
import { countRows, PASSWORD, passwordStep, personWithPassword } from './helpers/identity.ts'
import { browser } from './helpers/web.ts'

const NEW_PASSWORD = 'a completely different phrase 9'

t.test('an invitation never replaces a password; an admin\'s reset link does, once', async (t) => {
  const { app, db, adminKey } = await buildTestApp(t)
  const admin = client(app, adminKey)
  const victim = await personWithPassword(app, db, admin, { email: 'victim@example.org' })
  const sessions = () => countRows(db, sql`select count(*)::int as n from web_sessions where account_id = ${victim.account.id}`)

  await t.test('the takeover chain: a coordinator inviting a supervisor who has a password is refused', async (t) => {
    // The supervisor is assigned to a trainee of the coordinator's program, so the coordinator may invite them.
    const program = await makeProgram(db)
    const cohort = await makeCohort(db, program.id)
    await linkProgram(db, program.id, victim.organizationId)
    const trainee = await makeTrainee(db, victim.organizationId, cohort.id)
    await assign(db, victim.account.supervisorId as string, trainee.id)
    const coordinator = client(app, (await makeAccount(db, 'coordinator', { programIds: [program.id] })).key)
    const invite = await coordinator.post(`/v1/accounts/${victim.account.id}/invitations`)
    t.equal(invite.statusCode, 409, invite.body)
    t.match(invite.json(), { type: '/problems/conflict', code: 'account-has-password' })
    t.match(invite.json().detail, /password reset/)
    t.equal((await admin.post(`/v1/accounts/${victim.account.id}/invitations`)).json().code, 'account-has-password', 'not even an admin invites over a password')
    t.equal((await passwordStep(app, 'victim@example.org')).status, 303, 'the password still works')
  })

  await t.test('an invitation accepted after a password was set meanwhile is refused', async (t) => {
    const other = (await admin.post('/v1/accounts', { body: { role: 'trainee', name: 'Late Link', email: 'late@example.org', traineeId: (await makeTrainee(db, victim.organizationId, null)).id } })).json()
    const link = new URL((await admin.post(`/v1/accounts/${other.id}/invitations`)).json().url).pathname
    const b = browser(app)
    await b.get(link)
    // The password is set some other way while the page is open.
    await db.execute(sql`update accounts set password_hash = 'scrypt$1$1$1$x$y' where id = ${other.id}`)
    t.equal((await b.get(link)).statusCode, 410, 'the link no longer opens')
    const accepted = await b.post(link, { password: PASSWORD, confirm: PASSWORD })
    t.equal(accepted.statusCode, 410, 'nor is it accepted')
    const [row] = await rows<{ password_hash: string }>(db, sql`select password_hash from accounts where id = ${other.id}`)
    t.equal(row!.password_hash, 'scrypt$1$1$1$x$y', 'the password set meanwhile stays')
  })

  await t.test('only admins make reset links; a reset link needs an account with a password', async (t) => {
    const coordinator = client(app, (await makeAccount(db, 'coordinator', { programIds: [] })).key)
    t.equal((await coordinator.post(`/v1/accounts/${victim.account.id}/password-resets`)).statusCode, 403)
    t.equal((await client(app, (await makeAccount(db, 'integrator', { organizationId: victim.organizationId })).key).post(`/v1/accounts/${victim.account.id}/password-resets`)).statusCode, 403)
    const noPassword = (await admin.post('/v1/accounts', { body: { role: 'coordinator', name: 'No Password Yet', email: 'nopass@example.org', programIds: [] } })).json()
    t.match((await admin.post(`/v1/accounts/${noPassword.id}/password-resets`)).json(), { status: 409, code: 'account-has-no-password' })
  })

  await t.test('the reset link: short-lived, audited, works once, and ends every session', async (t) => {
    const signedIn = await passwordStep(app, 'victim@example.org')
    t.equal(signedIn.status, 303)
    t.ok(await sessions() >= 2, 'the person is signed in on two devices')
    const made = await admin.post(`/v1/accounts/${victim.account.id}/password-resets`)
    t.equal(made.statusCode, 201, made.body)
    const { url, expiresAt } = made.json()
    const minutes = (Date.parse(expiresAt) - Date.now()) / 60_000
    t.ok(minutes > 55 && minutes <= 60, 'valid for an hour')
    const path = new URL(url).pathname
    t.match(path, /^\/password-resets\/[A-Za-z0-9_-]{43}$/)
    t.equal((await browser(app).get(path.replace('password-resets', 'invitations'))).statusCode, 410, 'a reset link is not an invitation')
    const audit = await auditRowsFor(db, 'account', victim.account.id)
    t.ok(audit.some((a) => a.action === 'account.password_reset'), 'the link is audited')
    const b = browser(app)
    t.match((await b.get(path)).body, /Choose a new password/)
    const done = await b.post(path, { password: NEW_PASSWORD, confirm: NEW_PASSWORD })
    t.equal(done.statusCode, 303)
    t.equal(await sessions(), 1, 'every earlier session ended; only the new one remains')
    t.equal((await signedIn.b.get('/my/trainees')).statusCode, 303, 'the other device is signed out')
    t.equal((await browser(app).get(path)).statusCode, 410, 'the link works once')
    t.equal((await passwordStep(app, 'victim@example.org')).status, 401, 'the old password no longer works')
    t.equal((await passwordStep(app, 'victim@example.org', NEW_PASSWORD)).status, 303, 'the new one does')
    const set = (await auditRowsFor(db, 'account', victim.account.id)).filter((a) => a.action === 'account.password_set').at(-1)
    t.match(set?.changes, { via: 'password-reset' })
  })

  await t.test('an expired reset link does not open', async (t) => {
    const path = new URL((await admin.post(`/v1/accounts/${victim.account.id}/password-resets`)).json().url).pathname
    await db.execute(sql`update account_invitations set expires_at = now() - interval '1 second' where account_id = ${victim.account.id} and used_at is null`)
    t.equal((await browser(app).get(path)).statusCode, 410)
  })
})
