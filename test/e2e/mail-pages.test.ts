import t from 'tap'
import { sql } from 'drizzle-orm'
import type { Page } from 'playwright-core'
import { rows } from '../../src/db/rows.ts'
import { expectFits, expectNoAxeViolations, invitedPerson, startLiveApp } from '../helpers/browser.ts'
import { makeWorld } from '../helpers/factories.ts'
import { totpCode } from '../helpers/identity.ts'
import { drainMail, linkIn, mailRows } from '../helpers/mail.ts'

const NEW_PASSWORD = 'a fresh pass phrase after the reset 9'

/** The page as a person reads it: its title and the words of its main landmark. */
const pageText = async (page: Page) => ({ title: await page.title(), main: await page.locator('main').innerText() })

/**
 * The email feature's pages in a real browser (headless Chromium), without SMTP so messages are
 * kept: forgot password from the sign-in page to a new password, the kept mail an admin reads at
 * /admin/mail (and a supervisor may not), and the "Email reminders" setting of /account.
 */
t.test('the mail pages in a browser', async (t) => {
  const live = await startLiveApp(t)
  const w = await makeWorld(live.db)
  const { base, db } = live
  const emailReminders = async (email: string) =>
    (await rows<{ email_reminders: boolean }>(db, sql`select email_reminders from accounts where email = ${email}`))[0]?.email_reminders

  const trainee = await invitedPerson(live, { role: 'trainee', name: 'Tomás Trainee', email: 'tomas@example.org', traineeId: w.trainee.id })
  await trainee.context.close()
  const supervisor = await invitedPerson(live, { role: 'supervisor', name: 'Dana Reyes', email: 'dana@example.org', supervisorId: w.supervisor.id })
  const unknown = 'nobody-here@example.org'

  await t.test('forgot password: the same answer for a known and an unknown address, a link only for the known one', async (t) => {
    const context = await live.browser.newContext({ viewport: { width: 820, height: 1180 } })
    t.teardown(() => context.close())
    const page = await context.newPage()
    const ask = async (email: string) => {
      await page.goto(`${base}/sign-in`)
      await Promise.all([page.waitForURL(`${base}/forgot-password`), page.getByRole('link', { name: 'Forgot your password?' }).click()])
      await page.getByLabel('Email').fill(email)
      await Promise.all([page.waitForURL(`${base}/forgot-password`), page.getByRole('button', { name: 'Send me a link' }).click()])
      await page.getByRole('heading', { name: 'Check your email' }).waitFor()
      return pageText(page)
    }
    await page.goto(`${base}/forgot-password`)
    await expectNoAxeViolations(t, page, 'forgot password')
    await expectFits(t, page, 'forgot password')
    const known = await ask('Tomas@Example.org')
    await expectNoAxeViolations(t, page, 'check your email')
    const other = await ask(unknown)
    t.same(other, known, 'the same confirmation, word for word, for an unknown address')
    t.match(known.main, 'If an account uses that address')

    await drainMail(live)
    const resets = (await mailRows(db, 'password-reset')).filter((m) => m.to_address === 'tomas@example.org')
    t.equal(resets.length, 1, 'one reset message to the known address')
    t.match(resets[0], { state: 'kept', subject: 'Reset your Rapport password' }, 'kept, without SMTP')
    const toUnknown = (await mailRows(db)).filter((m) => m.to_address === unknown)
    t.same(toUnknown.map((m) => [m.template, m.state]), [['password-reset-request', 'dropped']], 'the unknown address: its request dropped, no message')

    const link = linkIn(resets[0]?.text_body)
    t.match(link, new RegExp(`^${base}/password-resets/`), 'the stored text carries the reset link')
    await page.goto(link!)
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor()
    await expectNoAxeViolations(t, page, 'choose a new password')
    await page.getByLabel('New password').fill(NEW_PASSWORD)
    await page.getByLabel('The same password again').fill(NEW_PASSWORD)
    await Promise.all([page.waitForURL(`${base}/my/observations`), page.getByRole('button', { name: 'Set the new password and sign in' }).click()])
    t.pass('the new password is set, and signs the trainee in')

    await Promise.all([page.waitForURL(`${base}/sign-in`), page.getByRole('button', { name: 'Sign out' }).click()])
    await page.getByLabel('Email').fill('tomas@example.org')
    await page.getByLabel('Password').fill(trainee.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('alert').waitFor()
    t.pass('the old password no longer signs in')
    await page.getByLabel('Password').fill(NEW_PASSWORD)
    await Promise.all([page.waitForURL(`${base}/my/observations`), page.getByRole('button', { name: 'Sign in' }).click()])
    t.pass('signed in with the new password')
    t.equal((await page.goto(link!))?.status(), 410, 'the link works once')
  })

  await t.test('an admin reads the kept mail; a supervisor may not', async (t) => {
    const admin = await invitedPerson(live, { role: 'admin', name: 'Avery Admin', email: 'avery@example.org' })
    t.teardown(() => admin.context.close())
    const { page } = admin
    const cspViolations: string[] = []
    page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text()) })
    // Admins set up their second factor before any page.
    await page.waitForURL(/\/sign-in\/enrol/)
    const secret = (await page.locator('#totp-secret').innerText()).replace(/\s/g, '')
    await page.getByLabel('Code').fill(totpCode(secret))
    await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click()
    await Promise.all([page.waitForURL(`${base}/cohorts`), page.getByRole('link', { name: 'Continue' }).click()])
    await drainMail(live)

    await Promise.all([page.waitForURL(`${base}/admin/mail`), page.locator('nav a[href="/admin/mail"]').click()])
    await expectNoAxeViolations(t, page, 'kept mail')
    await expectFits(t, page, 'kept mail')
    const kept = await mailRows(db)
    const listed = await page.locator('main tbody tr').allInnerTexts()
    t.equal(listed.length, kept.filter((m) => m.state === 'kept').length, 'every kept message is listed')
    for (const to of ['tomas@example.org', 'dana@example.org', 'avery@example.org']) t.ok(listed.some((row) => row.includes(to)), `a message to ${to} is listed`)
    t.notOk(listed.some((row) => row.includes(unknown)), 'no message to the unknown address')

    const reset = kept.find((m) => m.template === 'password-reset' && m.to_address === 'tomas@example.org')!
    const row = page.locator('main tbody tr').filter({ hasText: 'tomas@example.org' }).filter({ hasText: 'password-reset' })
    t.match(await row.innerText(), 'Reset your Rapport password', 'listed with its subject')
    await Promise.all([page.waitForURL(`${base}/admin/mail/${reset.id}`), row.getByRole('link').click()])
    await page.getByRole('heading', { level: 1, name: 'Reset your Rapport password' }).waitFor()
    const text = page.locator('pre.mail-text')
    t.ok(await text.isVisible(), 'the text body is shown')
    t.equal(await text.innerText(), reset.text_body, 'as stored, word for word')
    const frame = page.locator('iframe.mail-html')
    t.equal(await frame.getAttribute('sandbox'), '', 'the HTML sits in a frame sandboxed of everything (no script, no same origin)')
    const inFrame = page.frameLocator('iframe.mail-html')
    await inFrame.getByText('Hello Tomás Trainee,').waitFor()
    t.ok(await inFrame.getByRole('link', { name: 'Choose a new password' }).isVisible(), 'the HTML body is rendered in the frame')
    t.equal(await inFrame.locator('script').count(), 0, 'no script in it')
    const mailFrame = await (await frame.elementHandle())?.contentFrame()
    t.equal(await mailFrame?.evaluate<string>("getComputedStyle(document.querySelector('a')).backgroundColor"), 'rgb(11, 92, 173)',
      'styled as the recipient sees it (its style attributes apply in the frame)')
    t.same(cspViolations, [], 'no CSP violation')
    await expectNoAxeViolations(t, page, 'one kept message')
    await expectFits(t, page, 'one kept message')
    const back = page.getByRole('link', { name: 'Back to kept mail' })
    await back.scrollIntoViewIfNeeded()
    await Promise.all([page.waitForURL(`${base}/admin/mail`), back.click()])

    const sp = supervisor.page
    t.equal(await sp.locator('nav a[href="/admin/mail"]').count(), 0, 'the supervisor\'s navigation does not offer it')
    for (const path of ['/admin/mail', `/admin/mail/${reset.id}`]) {
      const res = await sp.goto(`${base}${path}`)
      t.equal(res?.status(), 403, `${path}: refused to a supervisor`)
      await sp.getByRole('heading', { name: 'Not allowed' }).waitFor()
      const shown = await sp.locator('main').innerText()
      t.notMatch(shown, 'tomas@example.org', 'no address shown')
      t.notMatch(shown, '/password-resets/', 'no link shown')
      t.equal(await sp.locator('iframe').count(), 0)
    }
    await expectNoAxeViolations(t, sp, 'not allowed')
  })

  await t.test('the account page\'s email reminders setting', async (t) => {
    const { page } = supervisor
    const box = () => page.getByRole('checkbox', { name: /Email me reminders/ })
    await page.goto(`${base}/account`)
    await page.getByRole('heading', { name: 'Email reminders' }).waitFor()
    await expectNoAxeViolations(t, page, 'your account')
    t.equal(await emailReminders(supervisor.email), true, 'on at first')
    t.ok(await box().isChecked(), 'shown ticked')

    await box().uncheck()
    await page.getByRole('button', { name: 'Save', exact: true }).click()
    await page.getByRole('status').filter({ hasText: 'Reminder emails are off.' }).waitFor()
    t.equal(await emailReminders(supervisor.email), false, 'saved: accounts.email_reminders is false')
    t.notOk(await box().isChecked(), 'shown unticked on the answer')
    await expectNoAxeViolations(t, page, 'your account, reminders saved')
    await page.goto(`${base}/account`)
    t.notOk(await box().isChecked(), 'and unticked when the page is loaded again')

    await box().check()
    await page.getByRole('button', { name: 'Save', exact: true }).click()
    await page.getByRole('status').filter({ hasText: 'Reminder emails are on.' }).waitFor()
    t.equal(await emailReminders(supervisor.email), true, 'ticked and saved: on again')
    await page.goto(`${base}/account`)
    t.ok(await box().isChecked(), 'shown ticked again')
    await supervisor.context.close()
  })
})
