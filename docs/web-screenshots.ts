/**
 * Screenshots of the main web pages at a tablet's width, for the README:
 * `npx tsx docs/web-screenshots.ts` (needs Debian's chromium). Runs the whole app on an embedded
 * in-memory database with the shipped rubric and a small cohort, builds the world through the
 * API, signs each person in through an invitation link, and writes docs/web-*.png.
 */
import { generateKeyPairSync } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import { parse } from 'yaml'
import { buildApp } from '../src/app.ts'
import { ensureAdmin } from '../src/bootstrap.ts'
import { loadConfig } from '../src/config.ts'
import { openDatabase } from '../src/db/client.ts'
import { importRubricFiles } from '../src/modules/rubrics/rubric-import.ts'
import type { RubricDefinition } from '../src/modules/rubrics/rubric-schemas.ts'
import { client } from '../test/helpers/app.ts'
import { freePort, invitedPerson, launchChromium } from '../test/helpers/browser.ts'

const DOCS = fileURLToPath(new URL('.', import.meta.url))
const RUBRIC = fileURLToPath(new URL('../rubrics/therapeutic-relationships.yaml', import.meta.url))
const ADMIN_KEY = `rk_${'screenshots'.padEnd(44, '0')}`
const TRAINEES = ['Zoë Ñúñez', 'Amara Okafor', 'Łukasz Żółć', 'Siobhán Kelly', 'Đặng Thị Hương', 'Mateo García', 'Priya Raman', 'Jonas Berg']
const VIEWPORT = { width: 820, height: 1180 }
/** Dates relative to today, so the cohort page shows recent activity whenever this runs. */
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10)

const definition = parse(readFileSync(RUBRIC, 'utf8')) as RubricDefinition
const criteria = definition.areas.flatMap((a) => a.criteria)

const port = await freePort()
const base = `http://127.0.0.1:${port}`
const config = loadConfig({
  LOG_LEVEL: 'silent', LOAD_RUBRICS_ON_START: 'false', ADMIN_API_KEY: ADMIN_KEY, PUBLIC_BASE_URL: base, ISSUER_NAME: 'Riverside Training Institute',
  CREDENTIAL_SIGNING_KEY: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
})
const database = await openDatabase({ dataDir: 'memory://' })
await database.migrate()
await ensureAdmin(database.db, ADMIN_KEY)
await importRubricFiles(database.db, [RUBRIC])
const app = await buildApp({ config, database, logger: false })
await app.listen({ host: '127.0.0.1', port })
const browser = await launchChromium()

try {
  const admin = client(app, ADMIN_KEY)
  const api = async (as: ReturnType<typeof client>, url: string, body?: object, headers?: Record<string, string>) => {
    const res = await as.post(url, { body, headers })
    if (res.statusCode >= 300) throw new Error(`POST ${url}: ${res.statusCode} ${res.body}`)
    return res
  }
  const program = (await api(admin, '/v1/programs', { name: 'Certificate in Therapeutic Relationships', rubricKey: 'therapeutic-relationships', rubricVersion: 1 })).json().id
  const cohort = (await api(admin, '/v1/cohorts', { programId: program, name: 'Riverside 2026', startsOn: daysAgo(90) })).json().id
  const org = (await api(admin, '/v1/organizations', { name: 'Riverside Hospice' })).json().id
  const supervisor = (await api(admin, '/v1/supervisors', { organizationId: org, name: 'Dana Reyes', email: 'dana@riverside.example' })).json().id
  const trainees: string[] = []
  for (const [i, name] of TRAINEES.entries()) {
    const email = `${name.normalize('NFD').replace(/[^a-zA-Z ]/g, '').split(' ')[0]!.toLowerCase()}@riverside.example`
    const id = (await api(admin, '/v1/trainees', { organizationId: org, cohortId: cohort, name, email, discipline: i % 2 === 0 ? 'nursing' : 'social work' })).json().id
    await api(admin, '/v1/assignments', { supervisorId: supervisor, traineeId: id, startsOn: daysAgo(90) })
    trainees.push(id)
  }
  // Earlier sessions, scored through the API with the supervisor's own key.
  const account = (await api(admin, '/v1/accounts', { role: 'supervisor', name: 'Dana Reyes (API)', supervisorId: supervisor })).json().id
  const dana = client(app, (await api(admin, `/v1/accounts/${account}/api-keys`, { name: 'seeding' })).json().key)
  const observe = async (traineeId: string, date: string, shift: number, submit: boolean) => {
    const scores = criteria.map((c, i) => ({ criterionKey: c.key, level: Math.max(1, Math.min(4, 2 + ((i + shift) % 3) - (i % 5 === 0 ? 1 : 0))), evidence: i === 0 ? 'Kept a warm, steady gaze while the client spoke about the diagnosis.' : null }))
    const created = await api(dana, '/v1/observations', {
      traineeId, sessionDate: date, durationMinutes: 45, setting: 'Patient\'s room, hospice ward', modality: 'in_person', contextNote: 'Second visit; the client was anxious about pain.',
      strengths: 'Unhurried, warm opening; the client relaxed within minutes.', areasForGrowth: 'Summarize before moving on to practical matters.',
      actionPlan: 'Close each topic with a short summary and check it with the client.', scores
    })
    if (!submit) return created.json().id as string
    await api(dana, `/v1/observations/${created.json().id}/submit`, undefined, { 'if-match': String(created.headers.etag) })
    return created.json().id as string
  }
  for (const [i, id] of trainees.entries()) if (i % 4 !== 3) await observe(id, daysAgo(26 - 3 * i), i, true)
  const toAcknowledge = await observe(trainees[0]!, daysAgo(3), 1, true)
  const toReview = await observe(trainees[1]!, daysAgo(1), 2, false)

  /** Scrolls so the element with this id sits `above` px below the top (page code as text: no DOM types here). */
  const scrollTo = (page: Page, id: string, above: number) =>
    page.evaluate(`window.scrollTo(0, document.getElementById(${JSON.stringify(id)}).getBoundingClientRect().top + window.scrollY - ${above})`)
  const shot = async (page: Page, name: string, height = VIEWPORT.height) => {
    await page.screenshot({ path: `${DOCS}web-${name}.png`, clip: { x: 0, y: 0, width: VIEWPORT.width, height } })
    process.stdout.write(`docs/web-${name}.png\n`)
  }

  const signInContext = await browser.newContext({ viewport: VIEWPORT })
  const signIn = await signInContext.newPage()
  await signIn.goto(`${base}/sign-in`)
  await signIn.getByLabel('Email').fill('dana@riverside.example')
  await shot(signIn, 'sign-in', 460)
  await signInContext.close()

  const live = { admin, browser }
  const { page } = await invitedPerson(live, { role: 'supervisor', name: 'Dana Reyes', email: 'dana@riverside.example', supervisorId: supervisor }, { viewport: VIEWPORT })
  await page.goto(`${base}/my/trainees`)
  await shot(page, 'my-trainees')

  await page.goto(`${base}/observations/new?trainee=${trainees[2]}`)
  await page.locator('#durationMinutes').fill('50')
  await page.locator('#setting').fill('School counselling office')
  await page.locator('#modality-video').check()
  await page.locator(`#${criteria[0]!.key}-3`).check()
  await page.locator(`[id="evidence.${criteria[0]!.key}"]`).fill('Looked up to check in each time the student paused.')
  await page.locator(`#${criteria[1]!.key}-2`).check()
  await scrollTo(page, `level.${criteria[0]!.key}`, 160)
  await shot(page, 'scoring-form')

  await page.goto(`${base}/observations/${toReview}/review`)
  await shot(page, 'review')

  await page.goto(`${base}/observations/${toAcknowledge}`)
  await shot(page, 'observation')

  const trainee = await invitedPerson(live, { role: 'trainee', name: TRAINEES[0]!, email: 'zoe@riverside.example', traineeId: trainees[0] }, { viewport: VIEWPORT })
  await trainee.page.goto(`${base}/observations/${toAcknowledge}`)
  await trainee.page.getByLabel('Your comment (optional)').fill('Thank you. I will practise summarizing before practical matters.')
  await scrollTo(trainee.page, 'acknowledge', 500)
  await shot(trainee.page, 'acknowledge')

  const coordinator = await invitedPerson(live, { role: 'coordinator', name: 'Kim Ode', email: 'kim@riverside.example', programIds: [program] }, { viewport: VIEWPORT })
  await coordinator.page.goto(`${base}/cohorts/${cohort}`)
  await shot(coordinator.page, 'cohort')
} finally {
  await browser.close()
  await app.close()
  await database.close()
}
