import type { Doc } from './document.ts'
import { contentWidth, ensureSpace } from './layout.ts'
import { COLOR, SIZE } from './theme.ts'

/** Vector charts drawn with pdfkit paths: crisp at any zoom, a few hundred bytes each. */

export interface ScaleLevel {
  value: number
  label: string
}

export interface Domain {
  min: number
  max: number
}

/**
 * A small line of `values` (oldest first; null = no score that time) inside the box, on a fixed
 * domain so lines of different areas compare. The latest point is emphasised.
 */
export function sparkline(doc: Doc, box: { x: number; y: number; width: number; height: number }, values: Array<number | null>, domain: Domain): void {
  const points = values
    .map((v, i) => (v === null ? null : {
      x: box.x + (values.length === 1 ? box.width / 2 : (i / (values.length - 1)) * box.width),
      y: box.y + box.height - ((v - domain.min) / (domain.max - domain.min || 1)) * box.height
    }))
    .filter((p): p is { x: number; y: number } => p !== null)
  doc.save()
  doc.moveTo(box.x, box.y + box.height).lineTo(box.x + box.width, box.y + box.height).lineWidth(0.5).strokeColor(COLOR.rule).stroke()
  if (points.length > 1) {
    doc.moveTo(points[0]!.x, points[0]!.y)
    for (const p of points.slice(1)) doc.lineTo(p.x, p.y)
    doc.lineWidth(1).lineJoin('round').strokeColor(COLOR.accent).stroke()
  }
  points.forEach((p, i) => {
    const last = i === points.length - 1
    doc.circle(p.x, p.y, last ? 2.2 : 1.3).fill(last ? COLOR.accent : COLOR.muted)
  })
  doc.restore()
}

export interface BarRow {
  label: string
  /** null: nothing scored (drawn as a note instead of a bar). */
  value: number | null
  /** Optional history for a sparkline at the end of the row, oldest first. */
  trend?: Array<number | null>
}

export interface BarChartOptions {
  scale: ScaleLevel[]
  rows: BarRow[]
  emptyNote?: string
  trendTitle?: string
}

const LABEL_WIDTH = 150
const TREND_WIDTH = 90
const ROW = 26
const BAR = 12

/**
 * Horizontal bars on the rubric's scale, with a gridline per level named by its label, so a reader
 * sees "between Developing and Proficient" rather than a bare number.
 */
export function levelBarChart(doc: Doc, o: BarChartOptions): void {
  const hasTrend = o.rows.some((r) => r.trend && r.trend.length > 0)
  const x0 = doc.page.margins.left
  const width = contentWidth(doc)
  const chartX = x0 + LABEL_WIDTH
  const chartWidth = width - LABEL_WIDTH - (hasTrend ? TREND_WIDTH + 16 : 0) - 24
  const values = o.scale.map((s) => s.value)
  const domain = { min: 0, max: Math.max(...values) }
  const xOf = (v: number) => chartX + ((v - domain.min) / (domain.max - domain.min || 1)) * chartWidth
  const height = 18 + o.rows.length * ROW + 4
  ensureSpace(doc, height + 10)
  const top = doc.y
  doc.save()
  doc.font('regular').fontSize(SIZE.tiny)
  for (const level of o.scale) {
    const x = xOf(level.value)
    doc.moveTo(x, top + 12).lineTo(x, top + height).lineWidth(0.5).dash(1.5, { space: 2 }).strokeColor(COLOR.rule).stroke().undash()
    doc.fillColor(COLOR.muted).text(level.label, x - 40, top, { width: 80, align: 'center', lineBreak: false })
  }
  if (hasTrend && o.trendTitle) {
    doc.text(o.trendTitle, x0 + width - TREND_WIDTH, top, { width: TREND_WIDTH, align: 'center', lineBreak: false })
  }
  o.rows.forEach((row, i) => {
    const y = top + 18 + i * ROW
    doc.font('bold').fontSize(SIZE.small).fillColor(COLOR.text)
      .text(row.label, x0, y + 1, { width: LABEL_WIDTH - 10, height: ROW - 4, ellipsis: true })
    if (row.value === null) {
      doc.font('italic').fontSize(SIZE.small).fillColor(COLOR.muted).text(o.emptyNote ?? 'Not scored', chartX + 4, y + 1, { lineBreak: false })
    } else {
      doc.rect(chartX, y, chartWidth, BAR).fill(COLOR.panel)
      doc.rect(chartX, y, Math.max(1, xOf(row.value) - chartX), BAR).fill(COLOR.accent)
      doc.font('bold').fontSize(SIZE.small).fillColor(COLOR.text).text(row.value.toFixed(2), xOf(row.value) + 4, y + 1.5, { lineBreak: false })
    }
    if (hasTrend && row.trend && row.trend.length > 0) {
      sparkline(doc, { x: x0 + width - TREND_WIDTH + 6, y: y - 2, width: TREND_WIDTH - 12, height: BAR + 4 }, row.trend, { min: values[0] ?? 0, max: domain.max })
    }
  })
  doc.restore()
  doc.x = x0
  doc.y = top + height + 6
}

export interface TrendChartOptions {
  scale: ScaleLevel[]
  /** One value per observation, oldest first; null = the area was not scored that time. */
  values: Array<number | null>
  /** One label per value (session dates); a few of them are printed along the axis. */
  xLabels: string[]
  height?: number
}

const AXIS_LABEL_WIDTH = 72
const MAX_X_LABELS = 6

/** Indexes of at most `max` evenly spread labels, always including the first and the last. */
export function tickIndexes(count: number, max = MAX_X_LABELS): number[] {
  if (count <= max) return Array.from({ length: count }, (_, i) => i)
  return Array.from({ length: max }, (_, i) => Math.round((i * (count - 1)) / (max - 1)))
}

/**
 * A line of one skill area's score across observations, on the rubric's scale (a gridline per
 * level, named), with dates along the bottom. Stays legible from two points to hundreds: markers
 * are dropped when they would crowd each other and only a few dates are printed.
 */
export function trendChart(doc: Doc, o: TrendChartOptions): void {
  const height = o.height ?? 78
  const x0 = doc.page.margins.left
  const plotX = x0 + AXIS_LABEL_WIDTH
  const plotWidth = contentWidth(doc) - AXIS_LABEL_WIDTH - 8
  ensureSpace(doc, height + 28)
  const top = doc.y + 4
  const values = o.scale.map((s) => s.value)
  const min = Math.min(...values)
  const max = Math.max(...values)
  const yOf = (v: number) => top + height - ((v - min) / (max - min || 1)) * height
  const n = o.values.length
  const xOf = (i: number) => plotX + (n <= 1 ? plotWidth / 2 : (i / (n - 1)) * plotWidth)
  doc.save()
  doc.font('regular').fontSize(SIZE.tiny)
  for (const level of o.scale) {
    const y = yOf(level.value)
    doc.moveTo(plotX, y).lineTo(plotX + plotWidth, y).lineWidth(0.5).dash(1.5, { space: 2 }).strokeColor(COLOR.rule).stroke().undash()
    doc.fillColor(COLOR.muted).text(level.label, x0, y - 3.5, { width: AXIS_LABEL_WIDTH - 8, align: 'right', lineBreak: false })
  }
  const points = o.values
    .map((v, i) => (v === null ? null : { x: xOf(i), y: yOf(Math.min(max, Math.max(min, v))) }))
    .filter((p): p is { x: number; y: number } => p !== null)
  if (points.length > 1) {
    doc.moveTo(points[0]!.x, points[0]!.y)
    for (const p of points.slice(1)) doc.lineTo(p.x, p.y)
    doc.lineWidth(1.2).lineJoin('round').strokeColor(COLOR.accent).stroke()
  }
  const markers = n <= 1 || plotWidth / (n - 1) >= 6
  points.forEach((p, i) => {
    const last = i === points.length - 1
    if (markers || last) doc.circle(p.x, p.y, last ? 2.4 : 1.6).fill(last ? COLOR.accent : COLOR.muted)
  })
  if (points.length === 0) {
    doc.font('italic').fontSize(SIZE.small).fillColor(COLOR.muted).text('Not yet scored in any observation.', plotX + 4, top + height / 2 - 5, { lineBreak: false })
  }
  doc.font('regular').fontSize(SIZE.tiny).fillColor(COLOR.muted)
  for (const i of tickIndexes(n)) {
    const label = o.xLabels[i] ?? ''
    const x = Math.min(Math.max(xOf(i) - 30, plotX - 30), plotX + plotWidth - 30)
    doc.text(label, x, top + height + 5, { width: 60, align: 'center', lineBreak: false })
  }
  doc.restore()
  doc.x = x0
  doc.y = top + height + 24
}
