import t from 'tap'
import { expectFits, expectNoAxeViolations, invitedPerson, startLiveApp } from '../helpers/browser.ts'
import { totpCode } from '../helpers/identity.ts'

/**
 * Two-factor sign-in in a real browser: an admin, who must have it, sets it up from the QR page
 * their invitation leads to (reading the key as a person would type it into an app), keeps the
 * recovery codes, and signs in again with a code. Every page is scanned with axe-core.
 */
t.test('an admin sets up two-factor sign-in and signs in with a code', async (t) => {
  const live = await startLiveApp(t)
  const { base } = live
  const admin = await invitedPerson(live, { role: 'admin', name: 'Avery Admin', email: 'avery@example.org' })
  const { page } = admin

  t.equal(new URL(page.url()).pathname, '/sign-in/enrol', 'the invitation leads to setting up two-factor, not to a page')
  await page.getByRole('img', { name: /QR code/ }).waitFor()
  t.ok(await page.evaluate<boolean>("(() => { const img = document.querySelector('img.qr'); return img.complete && img.naturalWidth > 0 })()"), 'the QR code is drawn (the CSP allows it)')
  await expectNoAxeViolations(t, page, 'set up two-factor')
  await expectFits(t, page, 'set up two-factor')
  const secret = (await page.locator('#totp-secret').innerText()).replace(/\s/g, '')

  await page.getByLabel('Code').fill('000000' === totpCode(secret) ? '111111' : '000000')
  await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click()
  await page.getByText('That code is not right', { exact: false }).waitFor()
  await expectNoAxeViolations(t, page, 'set up two-factor, wrong code')

  await page.getByLabel('Code').fill(totpCode(secret))
  await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click()
  await page.getByText('Two-factor sign-in is on, and you are signed in').waitFor()
  t.equal(await page.locator('#recovery-codes li').count(), 10, 'ten recovery codes, shown once')
  await expectNoAxeViolations(t, page, 'recovery codes')
  await Promise.all([page.waitForURL(`${base}/cohorts`), page.getByRole('link', { name: 'Continue' }).click()])

  await Promise.all([page.waitForURL(`${base}/account`), page.getByRole('link', { name: /Avery Admin/ }).click()])
  t.ok(await page.getByText('Your role requires two-factor sign-in, so it stays on.').isVisible())
  await expectNoAxeViolations(t, page, 'your account')

  await page.getByRole('button', { name: 'Sign out', exact: true }).click()
  await page.waitForURL(`${base}/sign-in`)
  await page.getByLabel('Email').fill(admin.email)
  await page.getByLabel('Password').fill(admin.password)
  await Promise.all([page.waitForURL((url) => url.pathname === '/sign-in/code'), page.getByRole('button', { name: 'Sign in' }).click()])
  await expectNoAxeViolations(t, page, 'two-factor code')
  // The code used to turn it on is spent; the app's next one is accepted.
  await page.getByLabel('Code').fill(totpCode(secret, Date.now() + 30_000))
  await Promise.all([page.waitForURL(`${base}/cohorts`), page.getByRole('button', { name: 'Sign in' }).click()])
  t.pass('signed in with password and code')
  await admin.context.close()
})
