import t from 'tap'
import { makeWorld } from '../helpers/factories.ts'
import { expectFits, expectNoAxeViolations, focusedId, invitedPerson, startLiveApp, tabTo } from '../helpers/browser.ts'

/**
 * The web pages in a real browser (headless Chromium): a supervisor scores a session with the
 * keyboard only, saves, meets a stale draft, submits; the trainee acknowledges; a coordinator reads
 * the cohort. Every page visited is scanned with axe-core (WCAG 2.2 A and AA).
 */
t.test('the web pages in a browser, keyboard only and accessible', async (t) => {
  const live = await startLiveApp(t)
  const w = await makeWorld(live.db)
  const { base } = live
  let observationPath = ''

  const supervisor = await invitedPerson(live, { role: 'supervisor', name: 'Dana Reyes', email: 'dana@example.org', supervisorId: w.supervisor.id }, {
    onPasswordPage: async (page) => {
      await expectNoAxeViolations(t, page, 'set your password')
      await page.getByLabel('New password').fill('short')
      await page.getByLabel('The same password again').fill('short')
      await page.getByRole('button', { name: 'Set password and sign in' }).click()
      await page.getByText('At least 12 characters', { exact: false }).first().waitFor()
      t.equal(await page.getByLabel('New password').getAttribute('aria-invalid'), 'true', 'a too-short password is marked on its field')
      await expectNoAxeViolations(t, page, 'set your password, with an error')
    }
  })
  const { page } = supervisor

  await t.test('signing out and in again through the sign-in page', async (t) => {
    t.equal(new URL(page.url()).pathname, '/my/trainees', 'setting the password signs the supervisor in')
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.waitForURL(`${base}/sign-in`)
    await expectNoAxeViolations(t, page, 'sign in')
    await page.getByLabel('Email').fill(supervisor.email)
    await page.getByLabel('Password').fill('not the password at all')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('alert').waitFor()
    await expectNoAxeViolations(t, page, 'sign in, refused')
    await page.getByLabel('Password').fill(supervisor.password)
    await Promise.all([page.waitForURL(`${base}/my/trainees`), page.getByRole('button', { name: 'Sign in' }).click()])
    await expectNoAxeViolations(t, page, 'my trainees')
    await expectFits(t, page, 'my trainees')
  })

  await t.test('a new observation, scored with the keyboard only, saved and reloaded', async (t) => {
    await page.getByRole('link', { name: `New observation of ${w.trainee.name}` }).click()
    await page.waitForURL(/\/observations\/new\?trainee=/)
    await expectNoAxeViolations(t, page, 'new observation form')
    await expectFits(t, page, 'new observation form')

    // Sent empty: every problem is listed next to its field.
    await page.getByRole('button', { name: 'Save draft' }).click()
    await page.getByRole('alert').waitFor()
    t.equal(await page.locator('#setting').getAttribute('aria-invalid'), 'true', 'the missing setting is marked')
    await expectNoAxeViolations(t, page, 'new observation form with errors')

    // The summary's link takes the keyboard to the field.
    await tabTo(page, '.notice a[href="#durationMinutes"]')
    await page.keyboard.press('Enter')
    t.equal(await focusedId(page), 'durationMinutes', 'the error summary links to its field')
    await page.keyboard.type('45')
    await page.keyboard.press('Tab')
    await page.keyboard.type('Hospice room')
    await page.keyboard.press('Tab')
    t.equal(await focusedId(page), 'modality-in_person', 'Tab enters the modality group at its first choice')
    t.not(await page.evaluate<string>('getComputedStyle(document.activeElement).outlineStyle'), 'none', 'the focused choice shows a focus outline')
    await page.keyboard.press('Space')
    await page.keyboard.press('Tab')
    await page.keyboard.type('Second visit.')
    // Each criterion: Tab into the group, arrows to the level, Tab to the evidence, type it.
    const levels: Array<[string, number, string | null]> = [['eye-contact', 2, 'Held gaze while the client spoke.'], ['body-language', 3, null], ['paraphrasing', 1, 'Reflected "nobody listens".'], ['non-verbal', 4, null]]
    for (const [key, downs, evidence] of levels) {
      await tabTo(page, `input[name="level.${key}"]`)
      await page.keyboard.press('Space')
      for (let i = 0; i < downs; i++) await page.keyboard.press('ArrowDown')
      await page.keyboard.press('Tab')
      t.equal(await focusedId(page), `evidence.${key}`, `Tab leaves the ${key} choices for its evidence`)
      if (evidence) await page.keyboard.type(evidence)
    }
    for (const [id, text] of [['strengths', 'Warm and unhurried.'], ['areasForGrowth', 'Summarize before closing.'], ['actionPlan', 'Practise summaries.']] as const) {
      await tabTo(page, `#${id}`)
      await page.keyboard.type(text)
    }
    await tabTo(page, 'button[value="save"]')
    await Promise.all([page.waitForURL(/\/edit\?saved=1$/), page.keyboard.press('Enter')])
    observationPath = new URL(page.url()).pathname.replace(/\/edit$/, '')
    await page.getByRole('status').filter({ hasText: 'Draft saved.' }).waitFor()
    await expectNoAxeViolations(t, page, 'edit a draft')

    await page.reload()
    t.ok(await page.locator('#eye-contact-3').isChecked(), 'eye contact: level 3 kept')
    t.ok(await page.locator('#body-language-4').isChecked(), 'body language: level 4 kept')
    t.ok(await page.locator('#non-verbal-not-observed').isChecked(), 'non-verbal: "not observed" kept')
    t.ok(await page.locator('#modality-in_person').isChecked(), 'modality kept')
    t.equal(await page.locator('[id="evidence.paraphrasing"]').inputValue(), 'Reflected "nobody listens".', 'evidence kept')
    t.equal(await page.locator('#setting').inputValue(), 'Hospice room')
  })

  await t.test('a save over a newer save from another tab is refused and keeps the typing', async (t) => {
    const other = await supervisor.context.newPage()
    await other.goto(`${base}${observationPath}/edit`)
    await other.locator('#strengths').fill('Changed in the other tab.')
    await Promise.all([other.waitForURL(/saved=1/), other.getByRole('button', { name: 'Save draft' }).click()])
    await other.close()

    await page.locator('#strengths').fill('Typed in this tab.')
    await page.getByRole('button', { name: 'Save draft' }).click()
    await page.getByRole('alert').filter({ hasText: 'changed elsewhere' }).waitFor()
    t.equal(await page.locator('#strengths').inputValue(), 'Typed in this tab.', 'what this tab typed is still in the form')
    await expectNoAxeViolations(t, page, 'stale-draft conflict')
  })

  await t.test('review, submit, the read-only view and its PDF', async (t) => {
    await Promise.all([page.waitForURL(`${base}${observationPath}/review`), page.getByRole('button', { name: 'Review and submit' }).click()])
    await expectNoAxeViolations(t, page, 'review and submit')
    await expectFits(t, page, 'review and submit')
    await Promise.all([page.waitForURL(/\?submitted=1$/), page.getByRole('button', { name: 'Submit observation' }).click()])
    await page.getByRole('status').filter({ hasText: 'Submitted.' }).waitFor()
    t.equal(await page.locator('input[name^="level."]').count(), 0, 'read-only: no form fields')
    await expectNoAxeViolations(t, page, 'read-only observation')
    await expectFits(t, page, 'read-only observation')
    const href = await page.getByRole('link', { name: 'Feedback report (PDF)' }).getAttribute('href')
    const pdf = await page.request.get(`${base}${href}`)
    t.equal(pdf.headers()['content-type'], 'application/pdf')
    t.equal((await pdf.body()).subarray(0, 5).toString('latin1'), '%PDF-', 'a PDF document')

    // The amendment form, opened and sent without its reason (nothing is changed).
    await Promise.all([page.waitForURL(`${base}${observationPath}/amend`), page.getByRole('link', { name: 'Amend this observation' }).click()])
    await expectNoAxeViolations(t, page, 'amend an observation')
    await page.locator('#reason').fill('')
    await page.getByRole('button', { name: 'Save the amendment' }).click()
    await page.locator('.notice a[href="#reason"]').waitFor()
    await expectNoAxeViolations(t, page, 'amend an observation, without a reason')
  })

  await t.test('the trainee reads and acknowledges it', async (t) => {
    const trainee = await invitedPerson(live, { role: 'trainee', name: 'Zoë Ñúñez', email: 'zoe@example.org', traineeId: w.trainee.id })
    const tp = trainee.page
    t.equal(new URL(tp.url()).pathname, '/my/observations')
    await expectNoAxeViolations(t, tp, 'my observations (trainee)')
    await tp.getByRole('link', { name: /^\d{4}-\d{2}-\d{2}$/ }).click()
    await tp.waitForURL(`${base}${observationPath}`)
    await expectNoAxeViolations(t, tp, 'observation to acknowledge (trainee)')
    await expectFits(t, tp, 'observation to acknowledge')
    await tp.getByLabel('Your comment (optional)').fill('Merci — дякую')
    await Promise.all([tp.waitForURL(/\?acknowledged=1$/), tp.getByRole('button', { name: 'I have read this feedback' }).click()])
    await tp.getByText('Merci — дякую').waitFor()
    await expectNoAxeViolations(t, tp, 'acknowledged observation (trainee)')
    await trainee.context.close()
  })

  await t.test('refused: a post without the CSRF token, another supervisor\'s trainee, an unknown observation', async (t) => {
    const bare = await page.request.post(`${base}/observations/new?trainee=${w.trainee.id}`, { form: { sessionDate: '2025-03-10', durationMinutes: '45', setting: 'x', modality: 'video', action: 'save' }, maxRedirects: 0 })
    t.equal(bare.status(), 403, 'no token: refused')
    await page.goto(`${base}/my/trainees`)
    await page.evaluate('document.querySelector(\'form.signout input[name="_csrf"]\').value = \'stale\'')
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('heading', { name: 'Form expired' }).waitFor()
    await expectNoAxeViolations(t, page, 'form expired')

    const other = await page.goto(`${base}/observations/new?trainee=${w.otherTrainee.id}`)
    t.equal(other?.status(), 404, 'another supervisor\'s trainee is not found')
    await expectNoAxeViolations(t, page, 'trainee not found')
    const unknown = await page.goto(`${base}/observations/00000000-0000-4000-8000-000000000000`)
    t.equal(unknown?.status(), 404)
    await expectNoAxeViolations(t, page, 'not found')
  })

  await t.test('a coordinator reads the cohorts and a cohort', async (t) => {
    const coordinator = await invitedPerson(live, { role: 'coordinator', name: 'Kim Ode', email: 'kim@example.org', programIds: [w.program.id] })
    const cp = coordinator.page
    t.equal(new URL(cp.url()).pathname, '/cohorts')
    await expectNoAxeViolations(t, cp, 'cohorts')
    await Promise.all([cp.waitForURL(`${base}/cohorts/${w.cohort.id}`), cp.getByRole('link', { name: w.cohort.name }).click()])
    await expectNoAxeViolations(t, cp, 'cohort')
    await expectFits(t, cp, 'cohort')
    await cp.setViewportSize({ width: 360, height: 800 })
    await expectNoAxeViolations(t, cp, 'cohort at 360 px, its table scrolling in its own box')
    await coordinator.context.close()
  })
})
