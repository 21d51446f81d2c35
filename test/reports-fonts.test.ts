import t from 'tap'
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import * as fontkit from 'fontkit'
import { renderFeedbackReport, type FeedbackReportData } from '../src/reports/feedback-report.ts'
import { sharedLayoutFace } from '../src/reports/fonts.ts'
import { sampleFeedbackData } from './helpers/feedback-report.ts'
import { parsePdf, squash } from './helpers/pdf.ts'

// This file runs in a process of its own, so the first render below meets cold caches.

const require = createRequire(import.meta.url)
const parse = () => fontkit.create(readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'))) as fontkit.Font

async function render(data: FeedbackReportData = sampleFeedbackData()): Promise<Buffer> {
  const doc = renderFeedbackReport(data)
  const chunks: Buffer[] = []
  doc.on('data', (c: Buffer) => chunks.push(c))
  await new Promise((resolve) => doc.on('end', resolve))
  return Buffer.concat(chunks)
}

t.test('a report renders the same bytes before and after other reports warmed the shared caches', async (t) => {
  const cold = await render()
  const others = ['Ольга Петрова', 'Γιώργος Παπαδόπουλος', 'Zoë Ñúñez', 'Đặng Thị Hương']
  for (const [i, trainee] of others.entries()) {
    const other = await render(sampleFeedbackData({ trainee, strengths: `${trainee} listened well; ${'reflected feeling '.repeat(i + 3)}` }))
    t.match(squash((await parsePdf(other)).text), squash(trainee), `a report for ${trainee} shows the name`)
  }
  const warm = await render()
  t.ok(cold.equals(warm), 'the report is byte-identical, so cached shaping and outlines change nothing')
})

t.test('the shared face lays out text exactly as the parsed font does', async (t) => {
  const font = parse()
  const face = sharedLayoutFace(parse())
  for (const word of ['Łukasz ', 'Żółć ', 'office ', 'Ольга ', 'Ψυχή ', 'Hương ', 'office ']) {
    const expected = font.layout(word)
    const got = face.layout(word)
    t.same(got.glyphs.map((g) => g.id), expected.glyphs.map((g) => g.id), `${word.trim()}: the same glyphs`)
    t.same(got.positions.map((p) => [p.xAdvance, p.yAdvance, p.xOffset, p.yOffset]),
      expected.positions.map((p) => [p.xAdvance, p.yAdvance, p.xOffset, p.yOffset]), `${word.trim()}: the same positions`)
    t.equal(got.advanceWidth, expected.advanceWidth, `${word.trim()}: the same advance width`)
  }
})

t.test('each answer has positions of its own: scaling one (as pdfkit does) leaves the next untouched', async (t) => {
  const face = sharedLayoutFace(parse())
  const first = face.layout('Rapport ')
  const width = first.advanceWidth
  for (const p of first.positions) p.xAdvance *= 0.5
  t.equal(face.layout('Rapport ').advanceWidth, width)
})

t.test('the cache of shaped words stays bounded: past its size it starts again', async (t) => {
  const base = parse()
  let shaped = 0
  const layout = base.layout.bind(base)
  base.layout = ((text: string) => { shaped++; return layout(text) }) as typeof base.layout
  const face = sharedLayoutFace(base, 3)
  face.layout('one ')
  face.layout('two ')
  face.layout('one ')
  t.equal(shaped, 2, 'a word seen before is not shaped again')
  face.layout('three ')
  face.layout('four ')
  face.layout('one ')
  t.equal(shaped, 5, 'once three words were kept, the cache was emptied and "one" is shaped afresh')
  face.layout('one ', ['smcp'])
  t.equal(shaped, 6, 'text asked with features is always shaped as asked')
})
