import QRCode from 'qrcode'
import { createReportDocument, type Doc, type ReportMeta } from './document.ts'
import { COLOR } from './theme.ts'

/**
 * The certificate: one landscape page meant to be printed and framed. Everything sits at explicit
 * positions, centred, so the page never flows; the verification URL is printed and also drawn as a
 * QR code in vector form, sharp at any print size.
 */
export interface CertificateData {
  serial: string
  traineeName: string
  programName: string
  issuerName: string
  /** YYYY-MM-DD */
  issuedOn: string
  verificationUrl: string
  /** The document's only clock, so a certificate's bytes never change. */
  issuedAt: Date
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']

/** "2025-03-31" → "31 March 2025": unambiguous in every country, and independent of the server's locale. */
export function longDate(isoDate: string): string {
  const [y, m, d] = isoDate.split('-').map(Number)
  return `${d} ${MONTHS[(m ?? 1) - 1] ?? ''} ${y}`
}

/** The QR code's modules, row by row (true = dark), without the quiet zone. */
export function qrMatrix(text: string): boolean[][] {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' })
  return Array.from({ length: modules.size }, (_, r) => Array.from({ length: modules.size }, (_, c) => modules.get(r, c) === 1))
}

/** Draws the code as filled rectangles, one per horizontal run of dark modules. */
function drawQr(doc: Doc, text: string, x: number, y: number, size: number): void {
  const matrix = qrMatrix(text)
  const unit = size / matrix.length
  doc.save()
  matrix.forEach((row, r) => {
    for (let c = 0; c < row.length; c++) {
      if (!row[c]) continue
      const start = c
      while (row[c + 1]) c++
      doc.rect(x + start * unit, y + r * unit, (c - start + 1) * unit, unit)
    }
  })
  // Pure black on white scans best; the quiet zone is the white page around it.
  doc.fill('#000000')
  doc.restore()
}

/** The largest size from `max` down to `min` at which the text fits on one line of `width`. */
function fitSize(doc: Doc, text: string, face: string, max: number, min: number, width: number): number {
  let size = max
  while (size > min && doc.font(face).fontSize(size).widthOfString(text) > width) size -= 1
  return size
}

function centred(doc: Doc, text: string, y: number, o: { face: string; size: number; color: string; spacing?: number; width: number; x: number }): number {
  doc.font(o.face).fontSize(o.size).fillColor(o.color)
  doc.text(text, o.x, y, { width: o.width, align: 'center', characterSpacing: o.spacing ?? 0 })
  return doc.y
}

function label(doc: Doc, text: string, value: string, x: number, y: number, width: number, align: 'left' | 'center'): void {
  doc.font('bold').fontSize(7).fillColor(COLOR.muted).text(text.toUpperCase(), x, y, { width, align, characterSpacing: 1.2 })
  doc.font('regular').fontSize(12).fillColor(COLOR.text).text(value, x, y + 12, { width, align })
}

export function certificateMeta(d: CertificateData): ReportMeta {
  return {
    reportId: d.serial,
    title: `Certificate ${d.serial}: ${d.traineeName}`,
    subject: `${d.programName}, issued by ${d.issuerName} on ${d.issuedOn}`,
    generatedAt: d.issuedAt,
    confidentiality: ''
  }
}

export function renderCertificate(d: CertificateData): Doc {
  const doc = createReportDocument(certificateMeta(d), { layout: 'landscape' })
  const W = doc.page.width
  const H = doc.page.height
  // Positions are explicit; without margins no line can make pdfkit open a second page.
  doc.page.margins = { top: 0, bottom: 0, left: 0, right: 0 }

  doc.rect(20, 20, W - 40, H - 40).lineWidth(2).strokeColor(COLOR.accent).stroke()
  doc.rect(27, 27, W - 54, H - 54).lineWidth(0.6).strokeColor(COLOR.accentLight).stroke()
  doc.rect(W / 2 - 24, 84, 48, 3).fill(COLOR.accent)

  const x = 80
  const width = W - 2 * x
  let y = centred(doc, d.issuerName.toUpperCase(), 100, { face: 'bold', size: 11, color: COLOR.accent, spacing: 2.5, x, width })
  y = centred(doc, 'Certificate of Completion', y + 18, { face: 'bold', size: 30, color: COLOR.text, x, width })
  y = centred(doc, 'This is to certify that', y + 32, { face: 'italic', size: 12, color: COLOR.muted, x, width })

  const nameSize = fitSize(doc, d.traineeName, 'bold', 40, 20, width - 40)
  y = centred(doc, d.traineeName, y + 14, { face: 'bold', size: nameSize, color: COLOR.text, x: x + 20, width: width - 40 })
  doc.moveTo(W / 2 - 190, y + 6).lineTo(W / 2 + 190, y + 6).lineWidth(0.75).strokeColor(COLOR.rule).stroke()
  y = centred(doc, 'has met every requirement of', y + 20, { face: 'italic', size: 12, color: COLOR.muted, x, width })
  const programSize = fitSize(doc, d.programName, 'bold', 20, 14, width - 80)
  centred(doc, d.programName, y + 12, { face: 'bold', size: programSize, color: COLOR.accent, x: x + 40, width: width - 80 })

  // The bottom band: date and serial, the issuer's line, the QR code with the address it encodes.
  const band = H - 176
  const column = 200
  label(doc, 'Date issued', longDate(d.issuedOn), x, band + 12, column, 'left')
  label(doc, 'Serial number', d.serial, x, band + 54, column, 'left')

  const mid = W / 2 - column / 2
  doc.font('bold').fontSize(12).fillColor(COLOR.text).text(d.issuerName, mid, band + 34, { width: column, align: 'center' })
  const line = Math.max(doc.y + 4, band + 54)
  doc.moveTo(mid + 6, line).lineTo(mid + column - 6, line).lineWidth(0.75).strokeColor(COLOR.muted).stroke()
  doc.font('bold').fontSize(7).fillColor(COLOR.muted).text('ISSUING ORGANIZATION', mid, line + 6, { width: column, align: 'center', characterSpacing: 1.2 })

  const qr = 88
  const qrX = W - x - qr
  drawQr(doc, d.verificationUrl, qrX, band, qr)
  doc.font('bold').fontSize(7).fillColor(COLOR.muted).text('VERIFY THIS CERTIFICATE', qrX - 150, band + 38, { width: 136, align: 'right', characterSpacing: 1 })
  doc.font('italic').fontSize(8).fillColor(COLOR.muted).text('Scan the code or visit the address below.', qrX - 150, doc.y + 4, { width: 136, align: 'right' })
  // The address on one line when it fits at a legible size; a very long one wraps.
  const urlWidth = W - x - (mid + column + 16)
  const urlSize = fitSize(doc, d.verificationUrl, 'regular', 8, 6.5, urlWidth)
  doc.font('regular').fontSize(urlSize).fillColor(COLOR.text).text(d.verificationUrl, W - x - urlWidth, band + qr + 8, { width: urlWidth, align: 'right' })

  doc.end()
  return doc
}
