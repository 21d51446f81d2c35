import { and, eq } from 'drizzle-orm'
import type { BrowserContext, Page, Response } from 'playwright-core'
import t from 'tap'
import { accountIdentities, auditEvents } from '../../src/db/schema/index.ts'
import { expectNoAxeViolations, invitedPerson, startLiveApp } from '../helpers/browser.ts'
import { makeOrganization, makeTrainee } from '../helpers/factories.ts'
import { startTestProvider } from '../helpers/oidc-provider.ts'

/**
 * Single sign-on in a real browser against a real OpenID Provider (oidc-provider) started here:
 * the person types their work email, signs in at the provider's page, and comes back signed in;
 * matched first by verified email (the subject is then linked), later by that subject. Every
 * failure is a plain refusal page with a reason code, audited: a wrong audience, an ID token
 * expired on arrival, a replayed state, an unknown email, a deactivated person; and when the
 * organization requires SSO, the password no longer signs its people in.
 */
t.test('single sign-on with OpenID Connect', async (t) => {
  const live = await startLiveApp(t, { OIDC_ALLOW_INSECURE_ISSUERS: 'true', OIDC_CLOCK_TOLERANCE_SECONDS: '0' })
  const { base, admin, db } = live
  const idp = await startTestProvider(t, `${base}/sign-in/sso/callback`)
  const org = await makeOrganization(db, 'Hillside Hospice')
  const trainee = await makeTrainee(db, org.id, null, { email: 'ada@hospice.example', name: 'Ada Okafor' })
  const ada = await invitedPerson(live, { role: 'trainee', name: 'Ada Okafor', email: 'ada@hospice.example', traineeId: trainee.id })
  await ada.context.close()
  const accountId = (await admin.get('/v1/accounts', { query: { limit: '200' } })).json().items.find((a: { email: string }) => a.email === 'ada@hospice.example').id as string

  const body = { displayName: 'Hillside ID', issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret, emailDomains: ['hospice.example'] }
  const put = await admin.put(`/v1/organizations/${org.id}/identity-provider`, { body })
  t.equal(put.statusCode, 201, put.body)
  idp.people.set('sub-ada', { email: 'ada@hospice.example', email_verified: true, name: 'Ada Okafor' })

  /** Work email on Rapport's page, then the provider's login (any password) and consent; the answer of Rapport's callback. */
  async function viaProvider(context: BrowserContext, email: string, login: string): Promise<{ response: Response; callbackUrl: string }> {
    const page = context.pages()[0] ?? await context.newPage()
    await page.goto(`${base}/sign-in`)
    await page.getByRole('link', { name: 'Sign in with your organization (single sign-on)' }).click()
    await page.getByLabel('Work email').fill(email)
    await Promise.all([page.waitForURL((u) => u.href.startsWith(idp.issuer)), page.getByRole('button', { name: 'Continue' }).click()])
    return loginAtProvider(page, login)
  }
  /** On the provider's own pages: its login (when it has no session yet) and consent; Rapport's callback answers. */
  async function loginAtProvider(page: Page, login: string): Promise<{ response: Response; callbackUrl: string }> {
    const callback = page.waitForResponse((r) => r.url().startsWith(`${base}/sign-in/sso/callback`), { timeout: 20_000 })
    if (await page.locator('input[name=login]').count() > 0) {
      await page.locator('input[name=login]').fill(login)
      await page.locator('input[name=password]').fill('anything')
      await page.getByRole('button', { name: 'Sign-in' }).click()
    }
    await page.waitForLoadState()
    if (page.url().startsWith(idp.issuer) && await page.getByRole('button', { name: 'Continue' }).count() > 0) await page.getByRole('button', { name: 'Continue' }).click()
    const response = await callback
    await page.waitForLoadState()
    return { response, callbackUrl: response.url() }
  }
  const reasonOn = async (context: BrowserContext) => context.pages()[0]!.locator('#sso-reason').innerText()
  const refusals = async (reason: string) => (await db.select().from(auditEvents).where(eq(auditEvents.action, 'sign_in.sso_refused')))
    .filter((row) => row.changes?.reason === reason)

  await t.test('a verified email of an allowed domain signs the person in and links the subject', async (t) => {
    const context = await live.browser.newContext()
    const { response } = await viaProvider(context, 'ada@hospice.example', 'sub-ada')
    t.equal(response.status(), 303, 'the callback starts a session')
    const page = context.pages()[0]!
    await page.waitForURL(`${base}/my/observations`)
    t.pass('lands on the trainee\'s start page')
    const links = await db.select().from(accountIdentities).where(eq(accountIdentities.accountId, accountId))
    t.same(links.map((l) => [l.issuer, l.subject]), [[idp.issuer, 'sub-ada']], 'the subject is linked to the account')
    const signIns = await db.select().from(auditEvents).where(and(eq(auditEvents.action, 'account.sign_in'), eq(auditEvents.objectId, accountId)))
    t.match(signIns.at(-1)?.changes, { method: 'sso', linked: 'by-email' }, 'audited as a single sign-on')
    await context.close()
  })

  await t.test('later, the stored subject signs the person in even when the provider\'s email changed', async (t) => {
    idp.people.set('sub-ada', { email: 'ada.private@elsewhere.example', email_verified: true })
    const context = await live.browser.newContext()
    const { response } = await viaProvider(context, 'ada@hospice.example', 'sub-ada')
    t.equal(response.status(), 303)
    await context.pages()[0]!.waitForURL(`${base}/my/observations`)
    const signIns = await db.select().from(auditEvents).where(and(eq(auditEvents.action, 'account.sign_in'), eq(auditEvents.objectId, accountId)))
    t.match(signIns.at(-1)?.changes, { method: 'sso', linked: 'by-subject' })
    idp.people.set('sub-ada', { email: 'ada@hospice.example', email_verified: true })
    await context.close()
  })

  await t.test('a replayed callback (its state used once) is refused, in the very browser that used it', async (t) => {
    const context = await live.browser.newContext()
    const { callbackUrl } = await viaProvider(context, 'ada@hospice.example', 'sub-ada')
    const page = context.pages()[0]!
    await page.waitForURL(`${base}/my/observations`)
    const replay = await page.goto(callbackUrl)
    t.equal(replay?.status(), 400)
    t.equal(await reasonOn(context), 'state-replayed')
    t.equal((await refusals('state-replayed')).length, 1, 'audited')
    await expectNoAxeViolations(t, page, 'sign-in refused')
    await context.close()
  })

  await t.test('a callback reaching a browser that did not start the sign-in (login CSRF) is refused', async (t) => {
    const context = await live.browser.newContext()
    const page = await context.newPage()
    await page.goto(`${base}/sign-in/sso`)
    await page.getByLabel('Work email').fill('ada@hospice.example')
    await Promise.all([page.waitForURL((u) => u.href.startsWith(idp.issuer)), page.getByRole('button', { name: 'Continue' }).click()])
    // What a forged callback looks like to Rapport: the state is real, but this browser never held it.
    await context.clearCookies({ name: 'rapport_sso' })
    const { response } = await loginAtProvider(page, 'sub-ada')
    t.equal(response.status(), 400)
    const reason = await reasonOn(context)
    t.equal(reason, 'state-other-browser', `refused as ${reason}`)
    t.equal((await refusals('state-other-browser')).length, 1, 'audited')
    await context.close()
  })

  await t.test('an unknown email is refused, and audited', async (t) => {
    idp.people.set('sub-stranger', { email: 'nobody@hospice.example', email_verified: true })
    const context = await live.browser.newContext()
    const { response } = await viaProvider(context, 'nobody@hospice.example', 'sub-stranger')
    t.equal(response.status(), 403)
    t.equal(await reasonOn(context), 'unknown-email')
    t.ok(await context.pages()[0]!.getByText('no active Rapport account of your organization has that email').isVisible())
    t.equal((await refusals('unknown-email')).length, 1)
    t.equal((await db.select().from(accountIdentities).where(eq(accountIdentities.subject, 'sub-stranger'))).length, 0, 'nothing linked')
    await context.close()
  })

  await t.test('an email the provider does not say is verified is refused', async (t) => {
    idp.people.set('sub-unverified', { email: 'ada@hospice.example', email_verified: false })
    const context = await live.browser.newContext()
    const { response } = await viaProvider(context, 'ada@hospice.example', 'sub-unverified')
    t.equal(response.status(), 403)
    t.equal(await reasonOn(context), 'email-unverified')
    await context.close()
  })

  await t.test('an ID token for another client (wrong audience) is refused', async (t) => {
    idp.faults.audienceOf = 'another-app'
    t.teardown(() => { delete idp.faults.audienceOf })
    const context = await live.browser.newContext()
    const { response } = await viaProvider(context, 'ada@hospice.example', 'sub-ada')
    t.equal(response.status(), 403)
    t.equal(await reasonOn(context), 'wrong-audience')
    t.equal((await refusals('wrong-audience')).length, 1)
    await context.close()
  })

  await t.test('an ID token expired by the time it arrives is refused', async (t) => {
    idp.faults.idTokenTtlSeconds = 1
    idp.faults.tokenDelayMs = 2500
    t.teardown(() => { delete idp.faults.idTokenTtlSeconds; delete idp.faults.tokenDelayMs })
    const context = await live.browser.newContext()
    const { response } = await viaProvider(context, 'ada@hospice.example', 'sub-ada')
    t.equal(response.status(), 403)
    t.equal(await reasonOn(context), 'token-expired')
    await context.close()
  })

  await t.test('when the organization requires SSO, the password no longer signs its people in', async (t) => {
    const current = await admin.get(`/v1/organizations/${org.id}/identity-provider`)
    const required = await admin.put(`/v1/organizations/${org.id}/identity-provider`, {
      body: { ...body, clientSecret: undefined, requireSso: true }, headers: { 'if-match': String(current.headers.etag) }
    })
    t.equal(required.statusCode, 200, required.body)
    const context = await live.browser.newContext()
    const page = await context.newPage()
    await page.goto(`${base}/sign-in`)
    await page.getByLabel('Email').fill(ada.email)
    await page.getByLabel('Password').fill(ada.password)
    const [answer] = await Promise.all([page.waitForResponse((r) => r.url() === `${base}/sign-in` && r.request().method() === 'POST'), page.getByRole('button', { name: 'Sign in' }).click()])
    t.equal(answer.status(), 403)
    t.ok(await page.getByText('Your organization signs you in with Hillside ID').isVisible())
    await Promise.all([page.waitForURL((u) => u.href.startsWith(idp.issuer)), page.getByRole('link', { name: 'Sign in with Hillside ID' }).click()])
    t.equal((await loginAtProvider(page, 'sub-ada')).response.status(), 303)
    await page.waitForURL(`${base}/my/observations`)
    t.pass('the link on the refusal signs in through the provider')
    await context.close()
  })

  await t.test('a deactivated person cannot sign in through the provider', async (t) => {
    const off = await admin.post(`/v1/trainees/${trainee.id}/deactivate`)
    t.equal(off.statusCode, 200, off.body)
    const context = await live.browser.newContext()
    const { response } = await viaProvider(context, 'ada@hospice.example', 'sub-ada')
    t.equal(response.status(), 403)
    t.equal(await reasonOn(context), 'account-inactive')
    await context.close()
  })
})
