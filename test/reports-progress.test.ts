import t from 'tap'
import type { Readable } from 'node:stream'
import { renderProgressReport } from '../src/reports/progress-report.ts'
import { tickIndexes } from '../src/reports/charts.ts'
import { createReportDocument } from '../src/reports/document.ts'
import { overlappingText, parsePdf } from './helpers/pdf.ts'
import { sampleProgressData } from './helpers/progress-report.ts'

/** The progress report's layout alone (no database): content, a long history flowing over pages, determinism. */
const render = async (data = sampleProgressData(12)): Promise<Buffer> => {
  const parts: Buffer[] = []
  for await (const chunk of renderProgressReport(data) as unknown as Readable) parts.push(chunk as Buffer)
  return Buffer.concat(parts)
}

t.test('header, trends, latest levels, never-observed criteria, supervisors and settings', async (t) => {
  const data = sampleProgressData(12)
  const bytes = await render(data)
  t.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-')
  const pdf = await parsePdf(bytes)
  const minutes = data.observations.reduce((sum, o) => sum + o.durationMinutes, 0)
  t.equal(minutes, 540)
  for (const text of ['Trainee progress report', 'Łukasz Żółć', 'Riverside Hospice', 'Spring 2025', '12 · 540 min observed', '2024-01-08 to 2024-02-10']) {
    t.ok(pdf.text.includes(text), `header shows "${text}"`)
  }
  for (const area of data.areas) t.ok(pdf.text.includes(area.title), `a trend for "${area.title}"`)
  t.ok(pdf.text.includes('latest 4.00 · Exemplary · first 1.00'), 'each trend names the latest and the first score')
  t.ok(pdf.text.includes('Proficient (3)') && pdf.text.includes('Developing (2)'), 'latest level per criterion, label and value')
  t.ok(pdf.text.includes('Never observed'), 'a criterion never scored says so in the table')
  t.ok(pdf.text.includes('2 of 6: Summarizing (Active listening); Validating without agreeing (Empathy and validation).'), 'and is listed by name')
  for (const name of ['Đặng Thị Hương', 'Ольга Петрова', 'Zoë Ñúñez', 'School counselling office', 'Home visit']) {
    t.ok(pdf.text.includes(name), `supervisors and settings: "${name}"`)
  }
  t.ok(pdf.text.includes('Every submitted observation'), 'the history table')
  t.ok(pdf.text.includes('Certificate eligibility') && pdf.text.includes('Not eligible: 1 of 3 rules is not met. (as of 2025-03-04)'), 'the eligibility checklist and its outcome')
  t.ok(/✗\s*Every criterion scored at least twice[\s\S]*Needs more scores for: Summarizing/.test(pdf.text), 'an unmet rule is crossed, with what is missing')
  t.ok(/✓\s*At least 6 submitted observations\s*Met/.test(pdf.text), 'a met rule is ticked')
})

t.test('200 observations: the history flows over pages with its header on each, and nothing is lost', async (t) => {
  const data = sampleProgressData(200)
  const bytes = await render(data)
  const pdf = await parsePdf(bytes)
  const overlaps = await overlappingText(bytes)
  t.same(overlaps.map(([a, b]) => `p${a.page}: "${a.text}" / "${b.text}"`), [], 'no text is drawn over other text')
  const n = pdf.pages.length
  t.ok(n >= 6 && n <= 12, `a readable number of pages (${n}), not one per row nor everything crammed`)
  pdf.pages.forEach((page, i) => t.ok(page.includes(`Page ${i + 1} of ${n}`), `page ${i + 1} numbered`))
  const historyPages = pdf.pages.filter((p) => /\b200\s*2025-08-27/.test(p) || /\b1\s*2024-01-08/.test(p) || /Read by\s*trainee/.test(p))
  const withHeader = pdf.pages.filter((p) => /Read by\s*trainee/.test(p)).length
  t.ok(withHeader >= 5, `the table header is repeated on each page the table continues on (${withHeader} pages)`)
  t.ok(historyPages.length >= withHeader, 'the header only appears where rows follow')
  // Every row number 1..200 appears exactly once, in order, with its date.
  const history = pdf.text.slice(pdf.text.indexOf('Every submitted observation'))
  const rowDates = [...history.matchAll(/(?:^|\n|\s)(\d{1,3})\s*(\d{4}-\d{2}-\d{2})\s*(?:Đặng|Ольга|Zoë)/g)].map((m) => [Number(m[1]), m[2]] as const)
  t.same(rowDates.map(([i]) => i), Array.from({ length: 200 }, (_, i) => i + 1), 'rows 1..200, each once, in order')
  t.same(rowDates.map(([, d]) => d), data.observations.map((o) => o.sessionDate), 'each with its own session date')
})

t.test('a trainee with no observation gets a clear, short report', async (t) => {
  const pdf = await parsePdf(await render(sampleProgressData(0, { supervisors: [], settings: [] })))
  t.equal(pdf.pages.length, 2, 'two pages')
  t.ok(pdf.text.includes('None yet'), 'the header says there are none')
  t.ok(pdf.text.includes('Not yet scored in any observation.'), 'the trend charts say so')
  t.ok(pdf.text.includes('No submitted observation yet.'), 'the history table says so')
})

t.test('same input and clock, same bytes', async (t) => {
  const data = sampleProgressData(30)
  t.ok((await render(data)).equals(await render(data)), 'byte-identical')
})

t.test('dates along a trend axis: at most six, first and last always shown', async (t) => {
  t.same(tickIndexes(1), [0])
  t.same(tickIndexes(4), [0, 1, 2, 3])
  t.same(tickIndexes(200), [0, 40, 80, 119, 159, 199])
})

t.test('the overlap check itself sees text drawn over text', async (t) => {
  const doc = createReportDocument({ reportId: 'X', title: 'x', subject: 'x', generatedAt: new Date(0), confidentiality: 'x' })
  doc.font('regular').fontSize(10).text('Overlapping words', 100, 100).text('drawn twice', 110, 102)
  doc.end()
  const parts: Buffer[] = []
  for await (const chunk of doc as unknown as Readable) parts.push(chunk as Buffer)
  const overlaps = await overlappingText(Buffer.concat(parts))
  t.equal(overlaps.length, 1, 'the one collision is found')
})
