import type { Doc } from './document.ts'
import { contentWidth } from './layout.ts'
import { COLOR, SIZE } from './theme.ts'

/**
 * A table that flows over as many pages as it needs: each row is measured before it is drawn, a
 * row that no longer fits starts a new page, and the header row is repeated at the top of every
 * page the table continues on. Cells wrap within their column, so nothing overlaps.
 */
export interface TableColumn {
  header: string
  /** Relative width: columns share the content width in proportion to their weights. */
  weight: number
  align?: 'left' | 'right' | 'center'
}

export interface TableCell {
  text: string
  face?: 'regular' | 'bold' | 'italic'
  color?: string
}

export type TableRow = Array<string | TableCell>

export interface TableOptions {
  columns: TableColumn[]
  rows: TableRow[]
  size?: number
  /** Shown when there are no rows, in place of the body. */
  emptyNote?: string
}

const PAD_X = 4
const PAD_Y = 3.5

const cellOf = (cell: string | TableCell | undefined): TableCell =>
  typeof cell === 'string' ? { text: cell } : cell ?? { text: '' }

export function table(doc: Doc, o: TableOptions): void {
  const size = o.size ?? SIZE.small
  const x0 = doc.page.margins.left
  const width = contentWidth(doc)
  const total = o.columns.reduce((sum, c) => sum + c.weight, 0)
  const widths = o.columns.map((c) => (c.weight / total) * width)
  const lefts = widths.map((_, i) => x0 + widths.slice(0, i).reduce((a, b) => a + b, 0))
  const bottom = () => doc.page.height - doc.page.margins.bottom

  const measure = (cells: TableCell[]): number => Math.max(...cells.map((cell, i) =>
    doc.font(cell.face ?? 'regular').fontSize(size).heightOfString(cell.text || ' ', { width: widths[i]! - 2 * PAD_X }))) + 2 * PAD_Y

  const drawRow = (cells: TableCell[], y: number, height: number, fill?: string) => {
    if (fill) doc.rect(x0, y, width, height).fill(fill)
    cells.forEach((cell, i) => {
      doc.font(cell.face ?? 'regular').fontSize(size).fillColor(cell.color ?? COLOR.text)
        .text(cell.text, lefts[i]! + PAD_X, y + PAD_Y, { width: widths[i]! - 2 * PAD_X, align: o.columns[i]!.align ?? 'left' })
    })
    doc.moveTo(x0, y + height).lineTo(x0 + width, y + height).lineWidth(0.4).strokeColor(COLOR.rule).stroke()
  }

  const header = o.columns.map((c): TableCell => ({ text: c.header, face: 'bold', color: COLOR.muted }))
  const headerHeight = measure(header)
  const drawHeader = () => {
    const y = doc.y
    drawRow(header, y, headerHeight, COLOR.panel)
    doc.y = y + headerHeight
  }

  const rows = o.rows.map((row) => o.columns.map((_, i) => cellOf(row[i])))
  const heights = rows.map(measure)
  // The header never sits alone at the foot of a page: it needs its first row below it.
  if (doc.y + headerHeight + (heights[0] ?? 20) > bottom()) doc.addPage()
  drawHeader()
  if (rows.length === 0 && o.emptyNote) {
    doc.font('italic').fontSize(size).fillColor(COLOR.muted).text(o.emptyNote, x0 + PAD_X, doc.y + PAD_Y, { width: width - 2 * PAD_X })
    doc.y += PAD_Y
  }
  rows.forEach((cells, r) => {
    const height = heights[r]!
    if (doc.y + height > bottom()) {
      doc.addPage()
      drawHeader()
    }
    const y = doc.y
    drawRow(cells, y, height, r % 2 === 1 ? COLOR.zebra : undefined)
    doc.y = y + height
  })
  doc.x = x0
  doc.y += 6
  doc.fillColor(COLOR.text)
}
