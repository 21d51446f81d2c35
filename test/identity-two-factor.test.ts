import t from 'tap'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { Secret, TOTP } from 'otpauth'
import { rows } from '../src/db/rows.ts'
import { loadSecretsKey } from '../src/lib/secrets-key.ts'
import { acceptedStep } from '../src/modules/identity/totp.ts'
import { buildTestApp, client } from './helpers/app.ts'
import { auditRowsFor } from './helpers/accounts.ts'
import { PASSWORD, passwordStep, personWithPassword, shownRecoveryCodes, shownSecret, totpCode } from './helpers/identity.ts'

t.test('TOTP through the library matches RFC 6238 Appendix B', async (t) => {
  // The test seeds of the RFC, one per hash, and its table of 8-digit codes.
  const seeds = { SHA1: '12345678901234567890', SHA256: '12345678901234567890123456789012', SHA512: '1234567890123456789012345678901234567890123456789012345678901234' }
  const table: Array<[number, string, string, string]> = [
    [59, '94287082', '46119246', '90693936'],
    [1111111109, '07081804', '68084774', '25091201'],
    [1111111111, '14050471', '67062674', '99943326'],
    [1234567890, '89005924', '91819424', '93441116'],
    [2000000000, '69279037', '90698825', '38618901'],
    [20000000000, '65353130', '77737706', '47863826']
  ]
  for (const [time, sha1, sha256, sha512] of table) {
    for (const [algorithm, expected] of [['SHA1', sha1], ['SHA256', sha256], ['SHA512', sha512]] as const) {
      const secret = Secret.fromLatin1(seeds[algorithm])
      t.equal(TOTP.generate({ secret, algorithm, digits: 8, period: 30, timestamp: time * 1000 }), expected, `${algorithm} at T=${time}`)
    }
  }
  // What sign-in checks: 6 digits of the SHA-1 code (the low digits of the 8), once per time step.
  const base32 = Secret.fromLatin1(seeds.SHA1).base32
  t.equal(acceptedStep(base32, '287 082', new Date(59_000), null), 1, 'the RFC\'s first code, typed with a space, is step 1')
  t.equal(acceptedStep(base32, '287082', new Date(59_000), 1), null, 'and not again within its step')
  t.equal(acceptedStep(base32, '081804', new Date(1111111109_000), null), 37037036, 'the second code')
  t.equal(acceptedStep(base32, '081804', new Date(1111111109_000 + 120_000), null), null, 'a code four steps old is refused')
})

t.test('the secrets key', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rapport-secrets-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const kept = loadSecretsKey({ DATA_DIR: dir, SECRETS_KEY: undefined })
  t.equal(kept.configured, false, 'unset: generated and kept in DATA_DIR')
  t.equal(statSync(kept.file!).mode & 0o777, 0o600, 'readable by the service only')
  const again = loadSecretsKey({ DATA_DIR: dir, SECRETS_KEY: undefined })
  const sealed = kept.encrypt('JBSWY3DPEHPK3PXP')
  t.equal(again.decrypt(sealed), 'JBSWY3DPEHPK3PXP', 'the next start reads the same key')
  t.not(kept.encrypt('JBSWY3DPEHPK3PXP'), sealed, 'each sealing has its own nonce')
  t.throws(() => kept.decrypt(sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BB' : 'AA')), 'a changed secret is refused (authenticated encryption)')
  const configured = loadSecretsKey({ DATA_DIR: dir, SECRETS_KEY: readFileSync(kept.file!, 'utf8') })
  t.equal(configured.configured, true)
  t.equal(configured.decrypt(sealed), 'JBSWY3DPEHPK3PXP', 'the same key given as SECRETS_KEY')
  t.equal(configured.digest('x'), kept.digest('x'))
  t.throws(() => loadSecretsKey({ DATA_DIR: dir, SECRETS_KEY: 'too short' }), { message: /SECRETS_KEY: expected 32 bytes/ })
  t.throws(() => loadSecretsKey({ DATA_DIR: dir, SECRETS_KEY: 'ab'.repeat(31) }), { message: /SECRETS_KEY/ }, '31 bytes of hex')
})

t.test('two-factor sign-in for anyone who turns it on', async (t) => {
  const { app, db, adminKey } = await buildTestApp(t)
  const admin = client(app, adminKey)
  const person = await personWithPassword(app, db, admin, { email: 'dana@example.org' })
  t.equal(person.firstStop, '/', 'without two-factor, a supervisor is signed in by their invitation')
  let secret = ''
  let recovery: string[] = []

  await t.test('set up from the account page: QR code, key, a first code, ten recovery codes shown once', async (t) => {
    const b = person.browser
    t.match((await b.get('/account')).body, /Set up two-factor sign-in/)
    const setup = await b.get('/account/two-factor')
    t.equal(setup.statusCode, 200)
    t.match(setup.body, /<img class="qr" src="data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+"/, 'a QR code the page CSP allows (a data: image)')
    secret = shownSecret(setup.body)!
    t.match(secret, /^[A-Z2-7]{32}$/, '160 bits, in base32')
    t.equal(shownSecret((await b.get('/account/two-factor')).body), secret, 'reloading shows the same key')
    const [stored] = await rows<{ secret: string; enabled_at: Date | null }>(db, sql`select secret, enabled_at from account_totp where account_id = ${person.account.id}`)
    t.notOk(stored!.secret.includes(secret), 'the secret is stored encrypted')
    t.equal(stored!.enabled_at, null, 'not on before a code confirms it')
    const wrong = await b.post('/account/two-factor', { code: '000000' === totpCode(secret) ? '111111' : '000000' })
    t.equal(wrong.statusCode, 422)
    const done = await b.post('/account/two-factor', { code: totpCode(secret) })
    t.equal(done.statusCode, 200)
    recovery = shownRecoveryCodes(done.body)
    t.equal(recovery.length, 10, 'ten recovery codes')
    t.equal(new Set(recovery).size, 10)
    const hashes = await rows<{ code_hash: string }>(db, sql`select code_hash from account_recovery_codes where account_id = ${person.account.id}`)
    t.equal(hashes.length, 10)
    t.notOk(hashes.some((h) => recovery.some((c) => h.code_hash.includes(c.replace('-', '')))), 'stored only as keyed hashes')
    t.match((await b.get('/account')).body, /Recovery codes left: <strong id="recovery-left">10</)
    t.ok((await auditRowsFor(db, 'account', person.account.id)).some((a) => a.action === 'account.two_factor_enable'))
  })

  await t.test('signing in then needs a code; until it is given no page is reached', async (t) => {
    const step = await passwordStep(app, 'dana@example.org')
    t.equal(step.status, 303)
    t.match(step.location, /^\/sign-in\/code/)
    t.equal((await step.b.get('/my/trainees')).statusCode, 303, 'a pending sign-in reaches no page')
    t.match((await step.b.get('/my/trainees')).headers.location, /^\/sign-in/)
    const codePage = await step.b.get(step.location!)
    t.match(codePage.body, /autocomplete="one-time-code"/)
    const wrong = await step.b.post(step.location!, { code: '12345' })
    t.equal(wrong.statusCode, 401)
    // The enrolment used this step's code; the app's next code (one step ahead) is accepted.
    const code = totpCode(secret, Date.now() + 30_000)
    const done = await step.b.post(step.location!, { code })
    t.equal(done.statusCode, 303)
    t.equal(done.headers.location, '/my/trainees')
    t.equal((await step.b.get('/my/trainees')).statusCode, 200, 'signed in')

    const replay = await passwordStep(app, 'dana@example.org')
    t.equal((await replay.b.post(replay.location!, { code })).statusCode, 401, 'the same code does not work twice')
    t.equal((await replay.b.post(replay.location!, { code: totpCode(secret) })).statusCode, 401, 'nor an older one')
  })

  await t.test('a recovery code works once', async (t) => {
    const first = await passwordStep(app, 'dana@example.org')
    t.equal((await first.b.post(first.location!, { code: recovery[0]!.toUpperCase() })).statusCode, 303, 'typed in capitals, still accepted')
    const second = await passwordStep(app, 'dana@example.org')
    t.equal((await second.b.post(second.location!, { code: recovery[0]! })).statusCode, 401, 'used up')
    t.match((await first.b.get('/account')).body, /Recovery codes left: <strong id="recovery-left">9</)
    const renewed = await first.b.post('/account/recovery-codes', {})
    const fresh = shownRecoveryCodes(renewed.body)
    t.equal(fresh.length, 10)
    const third = await passwordStep(app, 'dana@example.org')
    t.equal((await third.b.post(third.location!, { code: recovery[1]! })).statusCode, 401, 'old codes stop working when new ones are made')
    t.equal((await third.b.post(third.location!, { code: fresh[0]! })).statusCode, 303)
    recovery = fresh.slice(1)
  })

  await t.test('code attempts are throttled', async (t) => {
    const step = await passwordStep(app, 'dana@example.org')
    const statuses = []
    for (let i = 0; i < 6; i++) statuses.push((await step.b.post(step.location!, { code: `aaaaa-bbbb${i}` })).statusCode)
    t.same(statuses, [401, 401, 401, 401, 401, 429])
    t.equal((await step.b.post(step.location!, { code: totpCode(secret, Date.now() + 30_000) })).statusCode, 429, 'even a right code waits')
    await db.execute(sql`delete from sign_in_throttle where key like 'second-factor:%'`)
  })

  await t.test('turning it off needs the password; an admin can remove a lost second factor', async (t) => {
    const step = await passwordStep(app, 'dana@example.org')
    t.equal((await step.b.post(step.location!, { code: recovery[1]! })).statusCode, 303)
    const b = step.b
    await b.get('/account')
    const wrong = await b.post('/account/two-factor/remove', { current: 'not my password' })
    t.equal(wrong.statusCode, 422)
    t.match(wrong.body, /id="remove-current-error"/)
    const off = await b.post('/account/two-factor/remove', { current: PASSWORD })
    t.match(off.body, /Two-factor sign-in is off/)
    t.equal((await passwordStep(app, 'dana@example.org')).location, '/', 'the password alone signs in again')

    secret = shownSecret((await b.get('/account/two-factor')).body)!
    t.equal((await b.post('/account/two-factor', { code: totpCode(secret) })).statusCode, 200, 'on again, with a new key')
    t.match((await passwordStep(app, 'dana@example.org')).location, /^\/sign-in\/code/)
    const ownKey = (await admin.post(`/v1/accounts/${person.account.id}/api-keys`, { body: { name: 'k' } })).json().key
    t.equal((await client(app, ownKey).delete(`/v1/accounts/${person.account.id}/two-factor`)).statusCode, 403, 'only admins remove a second factor')
    const removed = await admin.delete(`/v1/accounts/${person.account.id}/two-factor`)
    t.equal(removed.statusCode, 204)
    t.ok((await auditRowsFor(db, 'account', person.account.id)).some((a) => a.action === 'account.two_factor_remove'), 'audited')
    t.equal((await b.get('/account')).statusCode, 303, 'and the person\'s sessions ended')
    t.equal((await passwordStep(app, 'dana@example.org')).location, '/', 'the password alone signs in again')
  })
})
