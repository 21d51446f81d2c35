import t from 'tap'
import type { Readable } from 'node:stream'
import { renderFeedbackReport } from '../src/reports/feedback-report.ts'
import { createRenderPool } from '../src/reports/render-pool.ts'
import { sampleFeedbackData } from './helpers/feedback-report.ts'
import { overlappingText, parsePdf, squash } from './helpers/pdf.ts'

/** Rendering alone (no database): content, page flow, validity and determinism of the PDF. */
const bytesOf = async (stream: Readable): Promise<Buffer> => {
  const parts: Buffer[] = []
  for await (const chunk of stream) parts.push(chunk as Buffer)
  return Buffer.concat(parts)
}
const render = (data = sampleFeedbackData()) => bytesOf(renderFeedbackReport(data) as unknown as Readable)

t.test('the PDF is structurally valid and shows names in any script', async (t) => {
  const bytes = await render(sampleFeedbackData({ program: 'Programme Ελληνικά' }))
  t.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-', 'starts with the %PDF- header')
  t.match(bytes.subarray(-8).toString('latin1'), /%%EOF\s*$/, 'ends with %%EOF')
  const pdf = await parsePdf(bytes)
  t.ok(pdf.pages.length > 0, 'pdf.js opens it and finds pages')
  for (const name of ['Łukasz Żółć', 'Đặng Thị Hương', 'Ольга', 'Zoë Ñúñez', 'Ελληνικά']) {
    t.ok(pdf.text.includes(name), `"${name}" is extracted intact (the embedded font has its glyphs)`)
  }
  t.notOk(bytes.includes('/BaseFont /Helvetica'), 'no built-in font is embedded')
})

t.test('every criterion, its level, its next step, the narrative and the footer appear', async (t) => {
  const data = sampleFeedbackData()
  const pdf = await parsePdf(await render(data))
  for (const area of data.areas) {
    t.ok(pdf.text.includes(area.title), `area "${area.title}"`)
    for (const c of area.criteria) t.ok(pdf.text.includes(c.title), `criterion "${c.title}"`)
  }
  t.ok(pdf.text.includes('Proficient (3)'), 'a level shows its label and value')
  t.ok(pdf.text.includes('Eye contact: consistently evident.'), 'the descriptor of the level given')
  t.ok(pdf.text.includes('Eye contact: evident and adapted to the client.'), 'next step: the descriptor of the level above')
  t.ok(pdf.text.includes('Top level (Exemplary) reached'), 'a criterion at the top level says so')
  t.ok(pdf.text.includes('Not observed'), '"not observed" is shown as such')
  for (const text of [data.strengths!, data.areasForGrowth!, data.actionPlan!, data.acknowledgement!.comment!]) {
    t.ok(squash(pdf.text).includes(squash(text)), `narrative: ${text.slice(0, 30)}…`)
  }
  const n = pdf.pages.length
  pdf.pages.forEach((page, i) => {
    t.ok(page.includes(`Page ${i + 1} of ${n}`), `page ${i + 1} is numbered "Page ${i + 1} of ${n}"`)
    t.ok(page.includes(`Report ${data.reportId}`) && page.includes('Confidential'), `page ${i + 1} carries the report id and the confidentiality line`)
  })
})

t.test('long evidence wraps and flows across pages without losing a word', async (t) => {
  const words = Array.from({ length: 700 }, (_, i) => `word${String(i).padStart(4, '0')}`)
  const evidence = words.join(' ')
  t.ok(evidence.length > 6000, 'several thousand characters')
  const data = sampleFeedbackData()
  data.areas[0]!.criteria[0]!.evidence = evidence
  data.areas[1]!.criteria[0]!.evidence = `${evidence} second`
  const bytes = await render(data)
  const pdf = await parsePdf(bytes)
  t.ok(pdf.pages.length >= 3, `it takes ${pdf.pages.length} pages`)
  const overlaps = await overlappingText(bytes)
  t.same(overlaps.map(([a, b]) => `p${a.page}: "${a.text}" / "${b.text}"`), [], 'no text is drawn over other text')
  const found = squash(pdf.text).match(/word\d{4}/g) ?? []
  t.same(found, [...words, ...words], 'every word appears, in order, for both criteria')
  const pagesWithEvidence = pdf.pages.filter((p) => p.includes('word0')).length
  t.ok(pagesWithEvidence >= 2, 'the evidence continues on a following page')
  t.ok(pdf.pages.every((p, i) => p.includes(`Page ${i + 1} of ${pdf.pages.length}`)), 'and every page still has its footer')
})

t.test('same input and clock, same bytes; another clock, another document', async (t) => {
  const a = await render()
  const b = await render()
  t.ok(a.equals(b), 'two renders with the same fixed clock are byte-identical')
  const c = await render(sampleFeedbackData({ generatedAt: new Date('2025-03-05T00:00:00Z') }))
  t.notOk(a.equals(c), 'a different generation time changes the document')
  const id = (bytes: Buffer) => /\/ID \[<([0-9a-f]+)>/.exec(bytes.toString('latin1'))?.[1]
  t.ok(id(a) && id(a) === id(b) && id(a) !== id(c), 'the trailer /ID derives from the content, not from randomness')
})

t.test('the worker pool renders the same bytes off the main thread, with bounded concurrency', async (t) => {
  const pool = createRenderPool({ size: 2 })
  t.teardown(() => pool.close())
  t.equal(pool.size, 2)
  const expected = await render()
  const results = await Promise.all(Array.from({ length: 5 }, () => bytesOf(pool.render({ kind: 'feedback', data: sampleFeedbackData() }))))
  t.ok(results.every((r) => r.equals(expected)), 'five queued renders on two workers all match the in-process render')
  const bad = sampleFeedbackData({ scale: null as never })
  await t.rejects(bytesOf(pool.render({ kind: 'feedback', data: bad })), /PDF rendering failed/, 'a failing render errors its stream')
  const after = await bytesOf(pool.render({ kind: 'feedback', data: sampleFeedbackData() }))
  t.ok(after.equals(expected), 'and the pool keeps working afterwards')
})

t.test('idle workers exit, and the next report starts one again', async (t) => {
  const pool = createRenderPool({ size: 2, idleMs: 200 })
  t.teardown(() => pool.close())
  const expected = await render()
  const two = [1, 2].map(() => bytesOf(pool.render({ kind: 'feedback', data: sampleFeedbackData() })))
  t.equal(pool.running, 2, 'two renders at once start two workers')
  await Promise.all(two)
  const deadline = Date.now() + 10_000
  while (pool.running > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(pool.running, 0, 'both exit once idle')
  const again = bytesOf(pool.render({ kind: 'feedback', data: sampleFeedbackData() }))
  t.equal(pool.running, 1, 'a later report starts one again')
  t.ok((await again).equals(expected), 'and renders the same bytes')
})
