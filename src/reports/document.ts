import PDFDocument from 'pdfkit'
import { registerFonts } from './fonts.ts'
import { COLOR, PAGE, SIZE } from './theme.ts'

export type Doc = PDFKit.PDFDocument

export interface ReportMeta {
  /** Shown in every footer and used for the document's file id. */
  reportId: string
  title: string
  subject: string
  /** The injected clock: the only time the document contains. */
  generatedAt: Date
  confidentiality: string
}

/**
 * A document whose bytes depend only on its content: CreationDate/ModDate come from the injected
 * clock, and pdfkit derives the trailer /ID from the info dictionary (md5 of CreationDate and the
 * other entries), so fixed info means a fixed id. Pages are buffered so that the footer can say
 * "Page x of y" once the page count is known.
 */
export function createReportDocument(meta: ReportMeta, options: { layout?: 'landscape' } = {}): Doc {
  const doc = new PDFDocument({
    // No default font: pdfkit would otherwise parse Helvetica's metrics for every document, and the
    // reports only use the embedded fonts registered below (the types do not know null is accepted).
    font: null as unknown as string,
    size: PAGE.size,
    // Only set when asked, so the portrait reports' bytes stay as they were.
    ...(options.layout ? { layout: options.layout } : {}),
    bufferPages: true,
    margins: { top: PAGE.margin, left: PAGE.margin, right: PAGE.margin, bottom: PAGE.margin + PAGE.footerHeight },
    info: {
      Title: meta.title,
      Subject: meta.subject,
      Author: 'Rapport',
      Creator: 'Rapport',
      Producer: 'Rapport (pdfkit)',
      // The report id goes into the info too, so two reports made in the same millisecond differ in /ID.
      Keywords: `report:${meta.reportId}`,
      CreationDate: meta.generatedAt,
      ModDate: meta.generatedAt
    },
    displayTitle: true,
    lang: 'en'
  })
  registerFonts(doc)
  doc.fillColor(COLOR.text).fontSize(SIZE.body)
  return doc
}

const stamp = (d: Date) => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`

/** Draws the footer on every buffered page, then ends the document. */
export function finishReport(doc: Doc, meta: ReportMeta): void {
  const { start, count } = doc.bufferedPageRange()
  for (let i = start; i < start + count; i++) {
    doc.switchToPage(i)
    // Writing inside the bottom margin would make pdfkit open a new page; lift the margin meanwhile.
    const bottom = doc.page.margins.bottom
    doc.page.margins.bottom = 0
    const left = PAGE.margin
    const width = doc.page.width - 2 * PAGE.margin
    const y = doc.page.height - PAGE.margin - PAGE.footerHeight + 14
    doc.moveTo(left, y).lineTo(left + width, y).lineWidth(0.5).strokeColor(COLOR.rule).stroke()
    doc.font('regular').fontSize(SIZE.tiny).fillColor(COLOR.muted)
    doc.text(`Report ${meta.reportId} · generated ${stamp(meta.generatedAt)}`, left, y + 6, { width, align: 'left', lineBreak: false })
    doc.text(`Page ${i - start + 1} of ${count}`, left, y + 6, { width, align: 'right', lineBreak: false })
    doc.text(meta.confidentiality, left, y + 16, { width, align: 'left', lineBreak: false })
    doc.page.margins.bottom = bottom
  }
  doc.end()
}
