import t from 'tap'
import type { Readable } from 'node:stream'
import jsqr from 'jsqr'
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs'
import { longDate, qrMatrix, renderCertificate, type CertificateData } from '../src/reports/certificate.ts'
import { renderReport } from '../src/reports/renderers.ts'
import { overlappingText, parsePdf, squash } from './helpers/pdf.ts'

// jsqr is CommonJS whose typings declare an ES default export; its exports carry both shapes.
const jsQR = jsqr.default

/** The printable certificate, rendered without a database: content, page, QR code and determinism. */
const sample = (overrides: Partial<CertificateData> = {}): CertificateData => ({
  serial: 'RC-2025-000042',
  traineeName: 'Zoë Ñúñez',
  programName: 'Certificate in Therapeutic Relationships',
  issuerName: 'Riverside Training Institute',
  issuedOn: '2025-03-31',
  verificationUrl: 'https://rapport.example.org/verify/k3J9xQ2mPz7vW4tR8yN5bC',
  issuedAt: new Date('2025-03-31T08:00:00Z'),
  ...overrides
})

const render = async (data = sample()): Promise<Buffer> => {
  const parts: Buffer[] = []
  for await (const chunk of renderCertificate(data) as unknown as Readable) parts.push(chunk as Buffer)
  return Buffer.concat(parts)
}

/** Decodes a module matrix as a scanner would: 4 modules of white quiet zone, 6 pixels a module. */
function decodeMatrix(matrix: boolean[][]): string | undefined {
  const scale = 6
  const quiet = 4
  const side = (matrix.length + 2 * quiet) * scale
  const rgba = new Uint8ClampedArray(side * side * 4).fill(255)
  matrix.forEach((row, r) => row.forEach((dark, c) => {
    if (!dark) return
    for (let dy = 0; dy < scale; dy++) {
      for (let dx = 0; dx < scale; dx++) {
        const i = (((r + quiet) * scale + dy) * side + (c + quiet) * scale + dx) * 4
        rgba[i] = rgba[i + 1] = rgba[i + 2] = 0
      }
    }
  }))
  return jsQR(rgba, side, side)?.data
}

t.test('one landscape page with the name, programme, issuer, date, serial and address', async (t) => {
  const data = sample()
  const bytes = await render(data)
  const pdf = await getDocument({ data: new Uint8Array(bytes), useSystemFonts: false, verbosity: 0 }).promise
  t.equal(pdf.numPages, 1, 'one page')
  const { width, height } = (await pdf.getPage(1)).getViewport({ scale: 1 })
  t.ok(width > height, `landscape (${width.toFixed(0)} × ${height.toFixed(0)} pt)`)
  t.equal(Math.round(width), 842, 'A4 wide')
  await pdf.destroy()

  const { text } = await parsePdf(bytes)
  for (const expected of [data.traineeName, data.programName, data.issuerName, data.serial, '31 March 2025', 'has met every requirement of']) {
    t.ok(text.includes(expected), `shows "${expected}"`)
  }
  t.ok(squash(text).includes(data.verificationUrl), 'prints the verification address')
  t.notOk(bytes.includes('/BaseFont /Helvetica'), 'no built-in font is embedded')
  t.same(await overlappingText(bytes), [], 'no text is drawn over other text')
})

t.test('names in any script, and long names and programmes, stay on the one page', async (t) => {
  for (const name of ['Łukasz Żółć', 'Đặng Thị Hương', 'Ольга Петрова', 'Γιώργος Παπαδόπουλος-Αλεξανδρόπουλος Κωνσταντινίδης']) {
    const bytes = await render(sample({
      traineeName: name,
      programName: 'Advanced Certificate in Therapeutic Relationships for Palliative and Hospice Care Practitioners (Level 5)'
    }))
    const pdf = await parsePdf(bytes)
    t.equal(pdf.pages.length, 1, `${name}: one page`)
    t.ok(squash(pdf.text).includes(squash(name)), `${name}: extracted intact`)
    t.same(await overlappingText(bytes), [], `${name}: nothing overlaps`)
  }
})

t.test('the QR code encodes the verification address', async (t) => {
  const url = sample().verificationUrl
  t.equal(decodeMatrix(qrMatrix(url)), url, 'the matrix decodes to the address')
  t.not(decodeMatrix(qrMatrix(`${url}x`)), url, 'and another address decodes to itself, not to this one')
})

t.test('same data, same bytes; the render pool knows the certificate', async (t) => {
  const a = await render()
  t.ok(a.equals(await render()), 'two renders are byte-identical')
  t.notOk(a.equals(await render(sample({ issuedAt: new Date('2025-04-01T08:00:00Z') }))), 'another issue time, another document')
  const parts: Buffer[] = []
  for await (const chunk of renderReport({ kind: 'certificate', data: sample() }) as unknown as Readable) parts.push(chunk as Buffer)
  t.ok(Buffer.concat(parts).equals(a), 'renderReport({ kind: "certificate" }) renders the same document')
  t.equal(longDate('2025-01-09'), '9 January 2025', 'dates are written out, the same in every locale')
})
