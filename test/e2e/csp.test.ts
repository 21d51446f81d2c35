import t from 'tap'
import type { Page } from 'playwright-core'
import { client } from '../helpers/app.ts'
import { startLiveApp } from '../helpers/browser.ts'
import { seedObservation } from '../helpers/cohort-report.ts'
import { makeWorld } from '../helpers/factories.ts'

/**
 * The Content-Security-Policy of each page is tight enough to matter and loose enough to work: a
 * real browser renders Swagger UI and the verification page under it, and reports no violation.
 */
async function watchViolations(page: Page): Promise<string[]> {
  const seen: string[] = []
  // Injected through the debugging protocol, so the page's own CSP does not apply to it.
  await page.addInitScript("document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`))")
  page.on('console', (msg) => { if (/Content Security Policy|CSP violation/i.test(msg.text())) seen.push(msg.text()) })
  page.on('pageerror', (err) => { seen.push(`page error: ${err.message}`) })
  return seen
}

t.test('Swagger UI and the verification page render under their CSP', async (t) => {
  const live = await startLiveApp(t)
  const context = await live.browser.newContext()
  t.teardown(() => context.close())

  await t.test('/docs lists the operations', async (t) => {
    const page = await context.newPage()
    const violations = await watchViolations(page)
    const res = await page.goto(`${live.base}/docs`)
    t.match(res?.headers()['content-security-policy'], /script-src 'self'/, 'served with its CSP')
    await page.locator('.opblock').first().waitFor({ timeout: 30_000 })
    t.ok(await page.locator('.opblock').count() > 20, 'the operations are listed')
    t.ok(await page.getByText('/v1/certificates/{id}/credential').first().isVisible(), 'an operation is shown by its path')
    await page.locator('.opblock-summary').first().click()
    await page.locator('.opblock-body').first().waitFor()
    t.same(violations, [], 'no CSP violation')
    await page.close()
  })

  await t.test('a web page (sign-in) loads its stylesheet', async (t) => {
    const page = await context.newPage()
    const violations = await watchViolations(page)
    const loaded: string[] = []
    page.on('response', (res) => { if (res.ok() && /\/assets\/app\.css$/.test(res.url())) loaded.push(new URL(res.url()).pathname) })
    await page.goto(`${live.base}/sign-in`)
    await page.waitForLoadState('networkidle')
    t.ok(await page.getByRole('button', { name: /sign in/i }).isVisible(), 'the form renders')
    t.same(loaded, ['/assets/app.css'], 'its own stylesheet is loaded')
    t.same(violations, [], 'no CSP violation')
    await page.close()
  })

  await t.test('the verification page, valid and unknown', async (t) => {
    const w = await makeWorld(live.db)
    const coordinator = client(live.app, w.keys.coordinator)
    const rulesUrl = `/v1/programs/${w.program.id}/eligibility-rules`
    const etag = String((await coordinator.get(rulesUrl)).headers.etag)
    t.equal((await coordinator.put(rulesUrl, { headers: { 'if-match': etag }, body: { rules: [{ kind: 'minObservations', count: 1 }] } })).statusCode, 200)
    await seedObservation(live.db, {
      programId: w.program.id, rubricVersionId: w.rubricVersion.id, traineeId: w.trainee.id, supervisorId: w.supervisor.id,
      sessionDate: '2025-01-10', levels: { 'eye-contact': 3, 'body-language': 3, paraphrasing: 3, 'non-verbal': 3 }
    })
    const issued = await coordinator.post('/v1/certificates', { body: { traineeId: w.trainee.id } })
    t.equal(issued.statusCode, 201, 'a certificate is issued')
    const page = await context.newPage()
    const violations = await watchViolations(page)
    for (const url of [issued.json().verificationUrl as string, `${live.base}/verify/AAAAAAAAAAAAAAAAAAAAAAAAAAA`]) {
      await page.goto(url)
      t.ok(await page.getByRole('heading', { name: 'Certificate verification' }).isVisible(), `${url}: the page renders`)
      // The inline stylesheet applied: the status line has its coloured left border.
      const border = await page.evaluate<string>("getComputedStyle(document.querySelector('.status')).borderLeftStyle")
      t.equal(border, 'solid', `${url}: its stylesheet is applied`)
    }
    t.ok(await page.getByText('Unknown: no certificate matches this code.').isVisible())
    t.same(violations, [], 'no CSP violation')
    await page.close()
  })
})
