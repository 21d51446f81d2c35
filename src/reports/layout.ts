import type { Doc } from './document.ts'
import { COLOR, LINE_GAP, PAGE, SIZE } from './theme.ts'

/** Layout primitives shared by every report. Each one starts at the left margin and at doc.y. */

export const contentWidth = (doc: Doc): number => doc.page.width - doc.page.margins.left - doc.page.margins.right
const bottomLimit = (doc: Doc): number => doc.page.height - doc.page.margins.bottom

/** Starts a new page unless `height` points still fit, so a block is never split from its title. */
export function ensureSpace(doc: Doc, height: number): void {
  if (doc.y + height > bottomLimit(doc)) doc.addPage()
}

export function gap(doc: Doc, points: number): void {
  doc.y += points
}

/** The report's title band: a thin accent rule above a large title and a muted subtitle. */
export function titleBlock(doc: Doc, title: string, subtitle: string): void {
  const x = doc.page.margins.left
  doc.rect(x, doc.y, 40, 3).fill(COLOR.accent)
  gap(doc, 10)
  doc.font('bold').fontSize(SIZE.title).fillColor(COLOR.text).text(title, x, doc.y, { width: contentWidth(doc) })
  doc.font('regular').fontSize(SIZE.subheading).fillColor(COLOR.muted).text(subtitle, { width: contentWidth(doc) })
  gap(doc, 12)
}

/** A section heading with a hairline under it; keeps `keepWith` points of content on the same page. */
export function heading(doc: Doc, text: string, keepWith = 60): void {
  ensureSpace(doc, 30 + keepWith)
  gap(doc, 8)
  const x = doc.page.margins.left
  doc.font('bold').fontSize(SIZE.heading).fillColor(COLOR.accent).text(text, x, doc.y, { width: contentWidth(doc) })
  const y = doc.y + 3
  doc.moveTo(x, y).lineTo(x + contentWidth(doc), y).lineWidth(0.75).strokeColor(COLOR.rule).stroke()
  doc.y = y + 8
  doc.fillColor(COLOR.text)
}

export function subheading(doc: Doc, text: string, aside?: string, keepWith = 40): void {
  ensureSpace(doc, 18 + keepWith)
  const x = doc.page.margins.left
  const width = contentWidth(doc)
  const y = doc.y
  doc.font('bold').fontSize(SIZE.subheading).fillColor(COLOR.text)
  const asideWidth = aside ? Math.min(doc.widthOfString(aside) + 4, width / 2) : 0
  doc.text(text, x, y, { width: width - asideWidth - 8 })
  const after = doc.y
  if (aside) doc.fillColor(COLOR.accent).text(aside, x + width - asideWidth, y, { width: asideWidth, align: 'right' })
  doc.y = Math.max(after, doc.y) + 2
  doc.fillColor(COLOR.text)
}

export interface ParagraphOptions {
  indent?: number
  color?: string
  size?: number
  face?: 'regular' | 'bold' | 'italic'
}

/** Body text that wraps and flows onto following pages (pdfkit continues it below the top margin). */
export function paragraph(doc: Doc, text: string, o: ParagraphOptions = {}): void {
  const x = doc.page.margins.left + (o.indent ?? 0)
  doc.font(o.face ?? 'regular').fontSize(o.size ?? SIZE.body).fillColor(o.color ?? COLOR.text)
  doc.text(text, x, doc.y, { width: contentWidth(doc) - (o.indent ?? 0), lineGap: LINE_GAP })
  doc.fillColor(COLOR.text)
}

/** "Label" in small caps-like muted type, then its text; for labelled narrative blocks. */
export function labelled(doc: Doc, label: string, text: string, o: ParagraphOptions = {}): void {
  ensureSpace(doc, 34)
  paragraph(doc, label.toUpperCase(), { indent: o.indent, size: SIZE.tiny, color: COLOR.muted, face: 'bold' })
  gap(doc, 1)
  paragraph(doc, text, o)
  gap(doc, 5)
}

/** Label/value pairs in `columns` columns, as in a letterhead; long values wrap within their cell. */
export function fieldGrid(doc: Doc, fields: Array<[string, string]>, columns = 3): void {
  const x0 = doc.page.margins.left
  const width = contentWidth(doc)
  const colWidth = width / columns
  const padding = 10
  const rows: Array<Array<[string, string]>> = []
  for (let i = 0; i < fields.length; i += columns) rows.push(fields.slice(i, i + columns))
  const top = doc.y
  const measure = (value: string) => doc.font('regular').fontSize(SIZE.body).heightOfString(value, { width: colWidth - 2 * padding })
  const heights = rows.map((row) => 14 + Math.max(...row.map(([, v]) => measure(v))) + 6)
  const total = heights.reduce((a, b) => a + b, 0) + padding
  ensureSpace(doc, total)
  const y0 = doc.y === top ? top : doc.y
  doc.roundedRect(x0, y0, width, total, 4).fill(COLOR.panel)
  let y = y0 + padding
  rows.forEach((row, r) => {
    row.forEach(([label, value], c) => {
      const x = x0 + c * colWidth + padding
      doc.font('bold').fontSize(SIZE.tiny).fillColor(COLOR.muted).text(label.toUpperCase(), x, y, { width: colWidth - 2 * padding })
      doc.font('regular').fontSize(SIZE.body).fillColor(COLOR.text).text(value, x, y + 11, { width: colWidth - 2 * padding })
    })
    y += heights[r]!
  })
  doc.x = x0
  doc.y = y0 + total + 6
}

/** A tinted box around a short text (callouts such as the acknowledgement). */
export function callout(doc: Doc, title: string, text: string): void {
  const x = doc.page.margins.left
  const width = contentWidth(doc)
  const inner = width - 24
  doc.font('regular').fontSize(SIZE.body)
  const height = 16 + doc.heightOfString(text, { width: inner, lineGap: LINE_GAP }) + 20
  if (height > bottomLimit(doc) - PAGE.margin - 20) {
    // Too long for one box: fall back to flowing text that may cross pages.
    labelled(doc, title, text)
    return
  }
  ensureSpace(doc, height)
  const y = doc.y
  doc.rect(x, y, 3, height).fill(COLOR.accent)
  doc.rect(x + 3, y, width - 3, height).fill(COLOR.panel)
  doc.font('bold').fontSize(SIZE.small).fillColor(COLOR.accent).text(title, x + 12, y + 8, { width: inner })
  doc.font('regular').fontSize(SIZE.body).fillColor(COLOR.text).text(text, x + 12, doc.y + 3, { width: inner, lineGap: LINE_GAP })
  doc.x = x
  doc.y = y + height + 8
}
