import { modalityLabel } from '../lib/modality.ts'
import { levelBarChart, type ScaleLevel } from './charts.ts'
import { createReportDocument, finishReport, type Doc, type ReportMeta } from './document.ts'
import { callout, ensureSpace, fieldGrid, gap, heading, labelled, paragraph, subheading, titleBlock } from './layout.ts'
import { COLOR, SIZE } from './theme.ts'

/**
 * The observation feedback report: what a trainee takes away from one observed session. The data
 * is a plain object (built from the database on the main thread) so it can cross into a worker.
 */
export interface FeedbackCriterion {
  key: string
  title: string
  level: number | null
  levelLabel: string | null
  notObserved: boolean
  descriptor: string | null
  evidence: string | null
  /** Descriptor of the next level up; null when the top level is reached or nothing was scored. */
  nextStep: string | null
}

export interface FeedbackArea {
  key: string
  title: string
  score: number | null
  /** Area score over the trainee's submitted observations up to and including this one, oldest first. */
  trend: Array<number | null>
  criteria: FeedbackCriterion[]
}

export interface FeedbackReportData {
  reportId: string
  generatedAt: Date
  observationId: string
  revision: number
  program: string
  trainee: string
  supervisor: string
  sessionDate: string
  durationMinutes: number | null
  setting: string
  modality: string
  rubric: { key: string; version: number; title: string }
  scale: ScaleLevel[]
  overall: number | null
  areas: FeedbackArea[]
  strengths: string | null
  areasForGrowth: string | null
  actionPlan: string | null
  acknowledgement: { at: string; comment: string | null } | null
}

export const CONFIDENTIAL = 'Confidential: prepared for the trainee and their training provider. Do not share without consent.'


export function feedbackMeta(data: FeedbackReportData): ReportMeta {
  return {
    reportId: data.reportId,
    title: `Observation feedback: ${data.trainee}, ${data.sessionDate}`,
    subject: `Feedback on an observed session (${data.program})`,
    generatedAt: data.generatedAt,
    confidentiality: CONFIDENTIAL
  }
}

/** The scale level nearest to a (weighted mean) score, to name it in words. */
export function nearestLevel(scale: ScaleLevel[], score: number): ScaleLevel | undefined {
  return [...scale].sort((a, b) => Math.abs(a.value - score) - Math.abs(b.value - score) || b.value - a.value)[0]
}

function header(doc: Doc, d: FeedbackReportData): void {
  titleBlock(doc, 'Observation feedback report', d.program)
  fieldGrid(doc, [
    ['Trainee', d.trainee],
    ['Supervisor', d.supervisor],
    ['Session date', d.sessionDate + (d.durationMinutes ? ` · ${d.durationMinutes} min` : '')],
    ['Setting', d.setting],
    ['Modality', modalityLabel(d.modality)],
    ['Rubric', `${d.rubric.title} (${d.rubric.key} v${d.rubric.version})`]
  ])
}

function summary(doc: Doc, d: FeedbackReportData): void {
  heading(doc, 'Summary', 140)
  const top = d.scale.at(-1)
  const level = d.overall === null ? undefined : nearestLevel(d.scale, d.overall)
  const x = doc.page.margins.left
  doc.font('regular').fontSize(SIZE.small).fillColor(COLOR.muted).text('OVERALL LEVEL', x, doc.y)
  if (d.overall === null) {
    paragraph(doc, 'No criterion was scored in this session.', { face: 'italic', color: COLOR.muted })
  } else {
    const y = doc.y + 2
    const label = level?.label ?? ''
    doc.font('bold').fontSize(SIZE.title).fillColor(COLOR.accent).text(label, x, y, { lineBreak: false })
    const after = x + doc.widthOfString(label) + 10
    // Smaller type on the same baseline as the level name.
    doc.font('regular').fontSize(SIZE.subheading).fillColor(COLOR.muted)
      .text(`${d.overall.toFixed(2)} of ${top?.value ?? ''} · weighted mean of the skill areas`, after, y + (SIZE.title - SIZE.subheading) * 0.78, { lineBreak: false })
    doc.x = x
    doc.y = y + SIZE.title + 6
  }
  gap(doc, 10)
  levelBarChart(doc, {
    scale: d.scale,
    rows: d.areas.map((a) => ({ label: a.title, value: a.score, trend: a.trend })),
    emptyNote: 'Not observed',
    trendTitle: 'Trend'
  })
  const sessions = Math.max(0, ...d.areas.map((a) => a.trend.length))
  paragraph(doc, sessions > 1
    ? `Trend: area scores over the trainee's last ${sessions} submitted observations in this program, oldest on the left; the large dot is this session.`
    : 'Trend: this is the first submitted observation of the trainee in this program.', { size: SIZE.tiny, color: COLOR.muted })
}

function criterion(doc: Doc, c: FeedbackCriterion, topLabel: string): void {
  const aside = c.notObserved ? 'Not observed' : c.level === null ? 'Not scored' : `${c.levelLabel ?? ''} (${c.level})`
  subheading(doc, c.title, aside, 50)
  const indent = 10
  if (c.notObserved) {
    paragraph(doc, 'This behaviour did not come up in the session, so it was not assessed.', { indent, face: 'italic', color: COLOR.muted })
  } else if (c.level === null) {
    paragraph(doc, 'This optional criterion was not scored.', { indent, face: 'italic', color: COLOR.muted })
  } else if (c.descriptor) {
    paragraph(doc, c.descriptor, { indent })
  }
  gap(doc, 4)
  if (c.evidence) labelled(doc, 'Supervisor\'s evidence', c.evidence, { indent })
  if (c.level !== null && !c.notObserved) {
    labelled(doc, 'Next step', c.nextStep ?? `Top level (${topLabel}) reached: keep it consistent across clients and settings.`, { indent, color: c.nextStep ? COLOR.text : COLOR.accent })
  }
  gap(doc, 6)
}

function areas(doc: Doc, d: FeedbackReportData): void {
  const topLabel = d.scale.at(-1)?.label ?? 'top'
  for (const area of d.areas) {
    const score = area.score === null ? 'not observed' : `${area.score.toFixed(2)} · ${nearestLevel(d.scale, area.score)?.label ?? ''}`
    heading(doc, `${area.title}  —  ${score}`, 90)
    for (const c of area.criteria) criterion(doc, c, topLabel)
  }
}

function narrative(doc: Doc, d: FeedbackReportData): void {
  heading(doc, 'Feedback and plan', 60)
  const none = 'Nothing recorded.'
  for (const [label, text] of [['Strengths', d.strengths], ['Areas for growth', d.areasForGrowth], ['Action plan', d.actionPlan]] as const) {
    ensureSpace(doc, 40)
    subheading(doc, label)
    paragraph(doc, text ?? none, text ? {} : { face: 'italic', color: COLOR.muted })
    gap(doc, 8)
  }
  const ack = d.acknowledgement
  callout(doc, ack ? `Acknowledged by the trainee on ${ack.at.slice(0, 10)}` : 'Not yet acknowledged by the trainee',
    ack ? (ack.comment ? `Trainee's comment: ${ack.comment}` : 'The trainee left no comment.') : 'The trainee has not yet confirmed reading this feedback.')
}

/** Lays out the whole report; the returned document streams its bytes once ended. */
export function renderFeedbackReport(data: FeedbackReportData): Doc {
  const meta = feedbackMeta(data)
  const doc = createReportDocument(meta)
  header(doc, data)
  summary(doc, data)
  areas(doc, data)
  narrative(doc, data)
  finishReport(doc, meta)
  return doc
}
