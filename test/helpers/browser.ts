import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import axe from 'axe-core'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import type { Test } from 'tap'
import { invitationFor } from './accounts.ts'
import { buildTestApp, client, type Client, type TestApp } from './app.ts'

/** Debian's chromium (`apt-get install chromium`); playwright-core never downloads a browser. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export interface LiveApp extends TestApp {
  /** The origin the app listens on, which is also its PUBLIC_BASE_URL (cookies, invitation links). */
  base: string
  admin: Client
  browser: Browser
}

/** A port free right now, so PUBLIC_BASE_URL can name it before the app is built. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Headless Chromium; a missing browser is an error, never a reason to skip. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`No Chromium at ${CHROMIUM_PATH}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH.`)
  }
  // Root in a container has no user namespaces for Chromium's sandbox.
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] })
}

/**
 * The whole app listening on a loopback port, and one headless Chromium for the test file. A
 * missing browser fails the test: CI installs it, and a skipped end-to-end test proves nothing.
 */
export async function startLiveApp(t: Test, env: Record<string, string> = {}): Promise<LiveApp> {
  const browser = await launchChromium()
  t.teardown(() => browser.close())
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const built = await buildTestApp(t, { PUBLIC_BASE_URL: base, ...env })
  await built.app.listen({ host: '127.0.0.1', port })
  return { ...built, base, admin: client(built.app, built.adminKey), browser }
}

export interface Person { context: BrowserContext; page: Page; email: string; password: string }

/**
 * A person created through the admin API, who then opens their invitation link in a browser
 * context of their own and sets a password on the real page (which signs them in).
 */
export async function invitedPerson(live: Pick<LiveApp, 'admin' | 'browser'>, account: { role: string; name: string; email: string } & Record<string, unknown>,
  o: { viewport?: { width: number; height: number }; onPasswordPage?: (page: Page) => Promise<void> } = {}): Promise<Person> {
  const url = await invitationFor(live.admin, account)
  const context = await live.browser.newContext({ viewport: o.viewport ?? { width: 820, height: 1180 }, acceptDownloads: true })
  const page = await context.newPage()
  const password = 'a long enough passphrase 7'
  await page.goto(url)
  await o.onPasswordPage?.(page)
  await page.getByLabel('New password').fill(password)
  await page.getByLabel('The same password again').fill(password)
  await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/invitations/')), page.getByRole('button', { name: 'Set password and sign in' }).click()])
  return { context, page, email: account.email, password }
}

const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa']

interface AxeViolation { id: string; impact: string | null; help: string; targets: string[] }

/**
 * Runs axe-core's WCAG 2.0/2.1/2.2 A and AA rules on the page as it is now and fails the test
 * with every violation (rule, help, the elements). The source is evaluated through the
 * debugging protocol, so the page keeps its own Content-Security-Policy. (Page-side code is
 * passed as text: this project compiles without the DOM's types.)
 */
export async function expectNoAxeViolations(t: Test, page: Page, what: string): Promise<void> {
  if (!(await page.evaluate<boolean>("'axe' in window"))) await page.evaluate(axe.source)
  const options = JSON.stringify({ runOnly: { type: 'tag', values: AXE_TAGS }, resultTypes: ['violations'] })
  const violations = await page.evaluate<AxeViolation[]>(`axe.run(document, ${options}).then((r) => r.violations.map((v) => (
    { id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => JSON.stringify(n.target)) })))`)
  const lines = violations.map((v) => `${v.id} (${v.impact ?? '?'}): ${v.help} — ${v.targets.join(', ')}`)
  t.same(lines, [], `no accessibility violations: ${what}`)
}

/** The id of the focused element. */
export const focusedId = (page: Page): Promise<string | null> => page.evaluate<string | null>('document.activeElement?.id ?? null')

/**
 * Whether the page reads without sideways scrolling from a 360 px phone to a desktop (wide tables
 * scroll in their own box); the viewport is put back to a tablet's afterwards.
 */
export async function expectFits(t: Test, page: Page, what: string, widths = [360, 1280]): Promise<void> {
  for (const width of widths) {
    await page.setViewportSize({ width, height: 900 })
    const scrollWidth = await page.evaluate<number>('document.documentElement.scrollWidth')
    t.ok(scrollWidth <= width, `${what}: no sideways scrolling at ${width} px (page ${scrollWidth} px wide)`)
  }
  await page.setViewportSize({ width: 820, height: 1180 })
}

/** Presses Tab (Shift+Tab with back) until the focused element matches, as a keyboard user moves. */
export async function tabTo(page: Page, selector: string, o: { back?: boolean; max?: number } = {}): Promise<void> {
  for (let i = 0; i < (o.max ?? 60); i++) {
    if (await page.locator(`${selector}:focus`).count() > 0) return
    await page.keyboard.press(o.back ? 'Shift+Tab' : 'Tab')
  }
  throw new Error(`Tab never reached ${selector}`)
}
