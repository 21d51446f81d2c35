import t from 'tap'
import { eq, sql } from 'drizzle-orm'
import type { Readable } from 'node:stream'
import { cohorts, organizations, programs } from '../src/db/schema/index.ts'
import { PDF_MAX_TRAINEES } from '../src/modules/reports/cohort-report-pdf-service.ts'
import { renderCohortReport } from '../src/reports/cohort-report.ts'
import { buildTestApp, client } from './helpers/app.ts'
import { seedObservation } from './helpers/cohort-report.ts'
import { makeCohort, makeOrganization, makeSupervisor, makeTrainee, makeWorld } from './helpers/factories.ts'
import { overlappingText, parsePdf } from './helpers/pdf.ts'
import { isProblem } from './helpers/structure.ts'

t.test('GET /v1/cohorts/{id}/report.pdf', async (t) => {
  const { app, db, adminKey } = await buildTestApp(t)
  const w = await makeWorld(db)
  await db.update(cohorts).set({ name: 'Весна 2024' }).where(eq(cohorts.id, w.cohort.id))
  await db.update(programs).set({ name: 'Relationships certificate' }).where(eq(programs.id, w.program.id))
  await db.update(organizations).set({ name: 'Hospice Świętego Łukasza' }).where(eq(organizations.id, w.org.id))
  await db.execute(sql`update trainees set name = 'Zoë Ñúñez' where id = ${w.trainee.id}`)
  await db.execute(sql`update trainees set name = 'Đặng Thị Hương' where id = ${w.otherTrainee.id}`)
  const base = { programId: w.program.id, rubricVersionId: w.rubricVersion.id }
  const second = await makeSupervisor(db, w.org.id)
  await seedObservation(db, { ...base, traineeId: w.trainee.id, supervisorId: w.supervisor.id, sessionDate: '2024-03-01',
    levels: { 'eye-contact': 2, 'body-language': 4, paraphrasing: 1, 'non-verbal': null } })
  await seedObservation(db, { ...base, traineeId: w.trainee.id, supervisorId: second.id, sessionDate: '2024-05-01',
    levels: { 'eye-contact': 4, 'body-language': 2, paraphrasing: 3, 'non-verbal': 4 } })
  await seedObservation(db, { ...base, traineeId: w.otherTrainee.id, supervisorId: w.otherSupervisor.id, sessionDate: '2024-03-15',
    levels: { 'eye-contact': 1, 'body-language': 1, paraphrasing: 2, 'non-verbal': null } })
  await makeTrainee(db, w.org.id, w.cohort.id, { name: 'Ольга Никогда' })
  const coordinator = client(app, w.keys.coordinator)
  const url = `/v1/cohorts/${w.cohort.id}/report.pdf`

  await t.test('header, standing per area, weakest criteria, inactive trainees, a line per trainee', async (t) => {
    const res = await coordinator.get(url, { query: { asOf: '2024-05-31' } })
    t.equal(res.statusCode, 200, res.body.slice(0, 300))
    t.equal(res.headers['content-type'], 'application/pdf')
    t.match(String(res.headers['content-disposition']), /^attachment; filename="cohort-.*-2024-05-31\.pdf"; filename\*=UTF-8''cohort-%D0%92/)
    const pdf = await parsePdf(res.rawPayload)
    for (const text of ['Cohort report', 'Relationships certificate · Весна 2024', 'All organizations', '3 · 3 observations', 'Zoë Ñúñez', 'Đặng Thị Hương', 'Ольга Никогда', 'Hospice Świętego Łukasza']) {
      t.ok(pdf.text.includes(text), `shows "${text}"`)
    }
    // Weakest over latest observations: body-language (2 + 1) / 2 = 1.5 first.
    t.ok(/Open body language\s*Safe environment\s*1\.50 · (Beginning|Developing)\s*2/.test(pdf.text), 'the weakest criterion first, with its mean and how many trainees')
    t.ok(/2 with none in the 30 days\s+to 2024-05-31/.test(pdf.text), 'the inactive count in the header')
    const inactive = pdf.text.slice(pdf.text.indexOf('No observation in the last 30 days'), pdf.text.indexOf('Per trainee'))
    t.ok(inactive.includes('Đặng Thị Hương') && inactive.includes('2024-03-15') && inactive.includes('77'), 'last seen 77 days before as-of')
    t.ok(inactive.includes('Ольга Никогда') && inactive.includes('Never observed'), 'a trainee never observed')
    t.notOk(inactive.includes('Zoë Ñúñez'), 'a trainee observed within 30 days is not listed')
    // Zoë's latest (2024-05-01): safety (4×1 + 2×3) / 4 = 2.50; listening (3 + 4) / 2 = 3.50; overall 2.83.
    const lines = pdf.text.slice(pdf.text.indexOf('Per trainee'))
    t.ok(/Zoë Ñúñez\s*Hospice Świętego\s+Łukasza\s*2\s*2\s*2024-05-01\s*2\.50\s*3\.50\s*2\.83/.test(lines), 'per trainee: counts, supervisors, last session, area and overall scores')
    t.ok(/! Ольга Никогда[\s\S]*?0\s*0\s*—/.test(lines), 'the inactive flag and no scores for the trainee never observed')
    t.ok(pdf.text.includes('No rules set for the program'), 'eligibility: the program has no rules yet')
  })

  await t.test('the same filters as the CSV', async (t) => {
    const res = await coordinator.get(url, { query: { organizationId: w.org.id, from: '2024-04-01', to: '2024-05-31', asOf: '2024-05-31' } })
    const pdf = await parsePdf(res.rawPayload)
    t.ok(pdf.text.includes('ORGANIZATION\nHospice Świętego Łukasza'), 'names the organization filter')
    t.ok(pdf.text.includes('2024-04-01 to 2024-05-31'), 'and the period')
    t.notOk(pdf.text.includes('Đặng Thị Hương'), 'a trainee of another organization is left out')
    t.ok(pdf.text.includes('2 · 1 observations'), 'only the sessions in the period count')
    isProblem(t, await coordinator.get(url, { query: { from: '2024-05-01', to: '2024-04-01' } }), 400, 'validation', ['/query/to'])
  })

  await t.test('each trainee\'s certificate eligibility under the program\'s rules', async (t) => {
    const rulesUrl = `/v1/programs/${w.program.id}/eligibility-rules`
    const etag = String((await coordinator.get(rulesUrl)).headers.etag)
    t.equal((await coordinator.put(rulesUrl, { headers: { 'if-match': etag }, body: { rules: [{ kind: 'minObservations', count: 2 }] } })).statusCode, 200)
    const pdf = await parsePdf((await coordinator.get(url, { query: { asOf: '2024-05-31' } })).rawPayload)
    t.ok(pdf.text.includes('1 eligible · 2 one rule short'), 'counted in the header')
    t.ok(/Zoë Ñúñez[^\n]*\n?[^!]*?2\.83\s*Eligible/.test(pdf.text.slice(pdf.text.indexOf('Per trainee'))), 'and shown per trainee')
  })

  await t.test('coordinators of the program and admins only', async (t) => {
    t.equal((await client(app, adminKey).get(url)).statusCode, 200)
    isProblem(t, await client(app, w.keys.otherCoordinator).get(url), 404, 'not-found')
    for (const key of ['supervisor', 'trainee', 'integrator'] as const) isProblem(t, await client(app, w.keys[key]).get(url), 403, 'forbidden', undefined, key)
  })

  await t.test('a large cohort flows over pages with the table header on each, without overlaps', async (t) => {
    const big = await makeCohort(db, w.program.id)
    const org = await makeOrganization(db)
    await db.execute(sql`insert into trainees (organization_id, cohort_id, name, email)
      select ${org.id}, ${big.id}, 'Trainee ' || lpad(g::text, 3, '0'), 'many-' || g || '@example.org' from generate_series(1, 240) g`)
    const res = await coordinator.get(`/v1/cohorts/${big.id}/report.pdf`)
    t.equal(res.statusCode, 200)
    const pdf = await parsePdf(res.rawPayload)
    t.ok(pdf.pages.length >= 8, `${pdf.pages.length} pages`)
    pdf.pages.forEach((page, i) => t.ok(page.includes(`Page ${i + 1} of ${pdf.pages.length}`), `page ${i + 1} numbered`))
    const names = [...pdf.text.slice(pdf.text.indexOf('Per trainee')).matchAll(/! Trainee (\d{3})/g)].map((m) => Number(m[1]))
    t.same(names, Array.from({ length: 240 }, (_, i) => i + 1), 'every trainee once, in name order')
    t.same(await overlappingText(res.rawPayload), [], 'no text over text')
  })

  await t.test(`past ${PDF_MAX_TRAINEES} trainees the PDF is refused in favour of the CSV`, async (t) => {
    const huge = await makeCohort(db, w.program.id)
    const org = await makeOrganization(db)
    await db.execute(sql`insert into trainees (organization_id, cohort_id, name, email)
      select ${org.id}, ${huge.id}, 'T ' || g, 'huge-' || g || '@example.org' from generate_series(1, ${PDF_MAX_TRAINEES + 1}) g`)
    const res = await coordinator.get(`/v1/cohorts/${huge.id}/report.pdf`)
    isProblem(t, res, 422, 'unprocessable')
    t.match(res.json().detail, /Download report\.csv, or filter by organization/)
  })
})

t.test('the cohort PDF renders the same bytes for the same data', async (t) => {
  const data = {
    reportId: 'CR-1', generatedAt: new Date('2025-01-01T00:00:00Z'), program: 'P', cohort: 'C', organization: null, from: null, to: null,
    asOf: '2025-01-01', inactiveDays: 30, rubric: { key: 'r', version: 1, title: 'R' },
    scale: [{ value: 1, label: 'One' }, { value: 2, label: 'Two' }], areas: ['Area'],
    trainees: [{ name: 'Ана', organization: 'O', observations: 1, supervisors: 1, lastObservationOn: '2024-12-31', daysSinceLastObservation: 1, inactive: false, areaScores: [2], overall: 2, eligibility: 'eligible' as const }],
    weakest: []
  }
  const bytes = async () => {
    const parts: Buffer[] = []
    for await (const chunk of renderCohortReport(data) as unknown as Readable) parts.push(chunk as Buffer)
    return Buffer.concat(parts)
  }
  t.ok((await bytes()).equals(await bytes()))
})
