import t from 'tap'
import { eq } from 'drizzle-orm'
import type { Page } from 'playwright-core'
import { accounts, observations } from '../../src/db/schema/index.ts'
import { makeWorld } from '../helpers/factories.ts'
import { invitedPerson, startLiveApp } from '../helpers/browser.ts'

/** The scoring form's autosave interval (INTERVAL_MS in src/modules/web/app-script.ts). */
const INTERVAL_MS = 5000

/**
 * The scoring form's script in a real browser: drafts save themselves, leaving with unsaved typing
 * asks first, and a draft changed elsewhere in the meantime is never overwritten. The page's clock
 * is Playwright's, so an autosave happens when the test moves time on, not after real seconds.
 */
t.test('the scoring form saves drafts by itself and never loses or overwrites typing', async (t) => {
  const live = await startLiveApp(t)
  const w = await makeWorld(live.db)
  const { base } = live
  const supervisor = await invitedPerson(live, { role: 'supervisor', name: 'Ana Lima', email: 'ana@example.org', supervisorId: w.supervisor.id })
  const { context, page } = supervisor
  await context.clock.install()
  // Every dialog is answered "stay on this page"; the test reads which ones were asked.
  const dialogs: string[] = []
  context.on('dialog', (d) => { dialogs.push(d.type()); void d.dismiss() })

  const statusSays = (p: Page, text: string) => p.locator('[data-save-status]', { hasText: text }).waitFor()
  /** Moves the page's clock one interval on and returns the autosave's answer. */
  async function tick(p: Page) {
    const [res] = await Promise.all([
      p.waitForResponse((r) => r.request().method() === 'POST' && (r.request().postData() ?? '').includes('action=autosave')),
      p.clock.runFor(INTERVAL_MS)
    ])
    return { status: res.status(), body: await res.json().catch(() => ({})) as { saved: boolean; revision?: number; message?: string } }
  }
  const myTrainees = (p: Page) => p.getByRole('link', { name: 'My trainees' }).click()
  let editPath = ''
  let draftId = ''

  await t.test('typing alone (no button) saves a new draft, which a reload shows', async (t) => {
    await page.goto(`${base}/observations/new?trainee=${w.trainee.id}`)
    await page.locator('#durationMinutes').pressSequentially('50')
    await page.locator('#setting').pressSequentially('Clinic room 2')
    await page.locator('#modality-video').check()
    await page.locator('#eye-contact-3').check()
    await page.locator('#strengths').pressSequentially('Calm opening.')

    const first = await tick(page)
    t.same([first.status, first.body.saved], [200, true], 'the autosave is accepted')
    await statusSays(page, 'Draft saved automatically')
    editPath = new URL(page.url()).pathname
    t.match(editPath, /^\/observations\/[0-9a-f-]{36}\/edit$/, 'the address becomes the draft\'s edit page')
    draftId = editPath.split('/')[2]!

    // More typing is saved to the same draft as its next revision, not as a second draft.
    await page.locator('#actionPlan').pressSequentially('Summarize at the end.')
    const second = await tick(page)
    t.same([second.status, second.body.revision], [200, first.body.revision! + 1], 'the next autosave is the draft\'s next revision')
    const drafts = await live.db.select({ id: observations.id }).from(observations).where(eq(observations.traineeId, w.trainee.id))
    t.same(drafts.map((d) => d.id), [draftId], 'one draft, however many autosaves')

    const fresh = await context.newPage()
    await fresh.goto(`${base}${editPath}`)
    t.equal(await fresh.locator('#durationMinutes').inputValue(), '50', 'length kept')
    t.equal(await fresh.locator('#setting').inputValue(), 'Clinic room 2', 'setting kept')
    t.ok(await fresh.locator('#modality-video').isChecked(), 'modality kept')
    t.ok(await fresh.locator('#eye-contact-3').isChecked(), 'the level chosen kept')
    t.equal(await fresh.locator('#strengths').inputValue(), 'Calm opening.', 'strengths kept')
    t.equal(await fresh.locator('#actionPlan').inputValue(), 'Summarize at the end.', 'what the second autosave sent kept')
    await fresh.close()

    const api = (await live.admin.get(`/v1/observations/${draftId}`)).json()
    t.match(api, { status: 'draft', durationMinutes: 50, setting: 'Clinic room 2', modality: 'video', strengths: 'Calm opening.', actionPlan: 'Summarize at the end.' }, 'the API reads the draft as typed')
    t.match(api.scores, [{ criterionKey: 'eye-contact', level: 3 }], 'the level is stored')
    const audit = (await live.admin.get('/v1/audit-events', { query: { objectType: 'observation', objectId: draftId } })).json()
    const writes = (audit.items as Array<{ action: string; actorAccountId: string | null }>).filter((e) => e.action !== 'observation.read')
    t.same(writes.map((e) => e.action).sort(), ['observation.create', 'observation.update'], 'both autosaves are audited')
    const [me] = await live.db.select({ id: accounts.id }).from(accounts).where(eq(accounts.email, supervisor.email))
    t.same(writes.map((e) => e.actorAccountId), [me!.id, me!.id], 'as the supervisor who typed')
  })

  await t.test('leaving with unsaved typing asks first; after a save or when sending the form it does not', async (t) => {
    await page.locator('#areasForGrowth').pressSequentially('Slow down.')
    await Promise.all([page.waitForEvent('dialog'), myTrainees(page)])
    t.same(dialogs.splice(0), ['beforeunload'], 'leaving asks first')
    t.equal(new URL(page.url()).pathname, editPath, 'answering "stay" keeps the page')
    t.equal(await page.locator('#areasForGrowth').inputValue(), 'Slow down.', 'and the typing')

    t.equal((await tick(page)).status, 200, 'the autosave is accepted')
    await statusSays(page, 'Draft saved automatically')
    await Promise.all([page.waitForURL(`${base}/my/trainees`), myTrainees(page)])
    t.same(dialogs.splice(0), [], 'after an autosave, leaving does not ask')

    await page.goto(`${base}${editPath}`)
    await page.locator('#areasForGrowth').fill('')
    await page.locator('#areasForGrowth').pressSequentially('Slow down; pause.')
    await Promise.all([page.waitForURL(/\/edit\?saved=1$/), page.getByRole('button', { name: 'Save draft' }).click()])
    t.same(dialogs.splice(0), [], 'sending the form does not ask')
    await Promise.all([page.waitForURL(`${base}/my/trainees`), myTrainees(page)])
    t.same(dialogs.splice(0), [], 'nor does leaving the page it saved')
  })

  await t.test('a draft changed elsewhere stops the autosave; the typing stays and nothing is overwritten', async (t) => {
    await page.goto(`${base}${editPath}`)
    const other = await context.newPage()
    await other.goto(`${base}${editPath}`)
    await other.locator('#strengths').fill('')
    await other.locator('#strengths').pressSequentially('Changed on the other device.')
    await Promise.all([other.waitForURL(/saved=1$/), other.getByRole('button', { name: 'Save draft' }).click()])
    await other.close()

    await page.locator('#strengths').fill('')
    await page.locator('#strengths').pressSequentially('Typed here.')
    const refused = await tick(page)
    t.same([refused.status, refused.body.saved], [409, false], 'the autosave is refused')
    await statusSays(page, 'changed elsewhere')
    t.match(await page.locator('[data-save-status]').textContent(), /automatic saving has stopped/, 'the page says autosave stopped')
    t.equal(await page.locator('#strengths').inputValue(), 'Typed here.', 'the typing is still in the field')
    t.equal((await live.admin.get(`/v1/observations/${draftId}`)).json().strengths, 'Changed on the other device.', 'the other save is kept')

    // The typing is not saved, so leaving still asks.
    await Promise.all([page.waitForEvent('dialog'), myTrainees(page)])
    t.same(dialogs.splice(0), ['beforeunload'], 'the unsaved typing still guards leaving')
    t.equal(await page.locator('#strengths').inputValue(), 'Typed here.', 'and the typing is still there')
  })
})
