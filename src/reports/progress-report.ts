import { trendChart, type ScaleLevel } from './charts.ts'
import { createReportDocument, finishReport, type Doc, type ReportMeta } from './document.ts'
import { modalityLabel } from '../lib/modality.ts'
import { CONFIDENTIAL, nearestLevel } from './feedback-report.ts'
import { fieldGrid, gap, heading, paragraph, subheading, titleBlock } from './layout.ts'
import { table, type TableRow } from './table.ts'
import { COLOR, SIZE } from './theme.ts'

/**
 * The trainee progress report: every submitted observation of one trainee in one program, over
 * time. Plain data (built on the main thread) so it can cross into a render worker.
 */
export interface ProgressObservation {
  sessionDate: string
  supervisor: string
  setting: string
  modality: string
  durationMinutes: number
  acknowledged: boolean
  overall: number | null
  /** Area scores in the order of `areas`; null = not scored that time. */
  areaScores: Array<number | null>
}

export interface ProgressCriterion {
  title: string
  /** Times scored (not counting "not observed"). */
  timesObserved: number
  latest: { level: number; label: string; sessionDate: string } | null
}

export interface ProgressArea {
  key: string
  title: string
  criteria: ProgressCriterion[]
}

export interface Tally {
  name: string
  observations: number
  lastSessionDate: string
}

export interface EligibilityChecklist {
  asOf: string
  message: string
  rules: Array<{ description: string; met: boolean; missing: string | null }>
}

export interface ProgressReportData {
  reportId: string
  generatedAt: Date
  trainee: string
  organization: string
  cohort: string | null
  program: string
  rubric: { key: string; version: number; title: string }
  /** Whose observations the report could include, in words (the caller's view). */
  coverage: string
  scale: ScaleLevel[]
  areas: ProgressArea[]
  /** Oldest first. */
  observations: ProgressObservation[]
  supervisors: Tally[]
  settings: Tally[]
  /** The certificate's rules, met or not, as of the report's day. */
  eligibility: EligibilityChecklist
}

export function progressMeta(d: ProgressReportData): ReportMeta {
  return {
    reportId: d.reportId,
    title: `Progress report: ${d.trainee}`,
    subject: `Observed practice over time (${d.program})`,
    generatedAt: d.generatedAt,
    confidentiality: CONFIDENTIAL
  }
}

const score = (value: number | null) => (value === null ? '—' : value.toFixed(2))

function header(doc: Doc, d: ProgressReportData): void {
  titleBlock(doc, 'Trainee progress report', d.program)
  const obs = d.observations
  const minutes = obs.reduce((sum, o) => sum + o.durationMinutes, 0)
  fieldGrid(doc, [
    ['Trainee', d.trainee],
    ['Organization', d.organization],
    ['Cohort', d.cohort ?? 'None'],
    ['Observations', obs.length === 0 ? 'None yet' : `${obs.length} · ${minutes} min observed`],
    ['Period', obs.length === 0 ? '—' : `${obs[0]!.sessionDate} to ${obs.at(-1)!.sessionDate}`],
    ['Rubric', `${d.rubric.title} (${d.rubric.key} v${d.rubric.version})`]
  ])
  paragraph(doc, d.coverage, { size: SIZE.tiny, color: COLOR.muted })
}

function trends(doc: Doc, d: ProgressReportData): void {
  heading(doc, 'Progress by skill area', 120)
  const dates = d.observations.map((o) => o.sessionDate)
  d.areas.forEach((area, a) => {
    const values = d.observations.map((o) => o.areaScores[a] ?? null)
    const scored = values.filter((v): v is number => v !== null)
    const latest = scored.at(-1)
    const aside = latest === undefined ? 'Not yet scored'
      : `latest ${latest.toFixed(2)} · ${nearestLevel(d.scale, latest)?.label ?? ''}` + (scored.length > 1 ? ` · first ${scored[0]!.toFixed(2)}` : '')
    subheading(doc, area.title, aside, 100)
    trendChart(doc, { scale: d.scale, values, xLabels: dates })
  })
}

function checklist(doc: Doc, d: ProgressReportData): void {
  const e = d.eligibility
  heading(doc, 'Certificate eligibility', 60)
  paragraph(doc, `${e.message} (as of ${e.asOf})`, { face: 'bold' })
  gap(doc, 4)
  if (e.rules.length === 0) return
  table(doc, {
    columns: [{ header: '', weight: 0.5, align: 'center' }, { header: 'Rule', weight: 5 }, { header: 'What is missing', weight: 5 }],
    rows: e.rules.map((r): TableRow => [
      r.met ? { text: '✓', face: 'bold', color: COLOR.accent } : { text: '✗', face: 'bold', color: COLOR.warning },
      r.description,
      r.met ? { text: 'Met', color: COLOR.muted } : r.missing ?? ''
    ])
  })
}

function criteria(doc: Doc, d: ProgressReportData): void {
  heading(doc, 'Latest level per criterion', 80)
  const rows: TableRow[] = d.areas.flatMap((area) => area.criteria.map((c): TableRow => [
    area.title,
    { text: c.title, face: 'bold' },
    c.latest ? `${c.latest.label} (${c.latest.level})` : { text: 'Never observed', face: 'italic', color: COLOR.warning },
    c.latest?.sessionDate ?? '—',
    String(c.timesObserved)
  ]))
  table(doc, {
    columns: [
      { header: 'Skill area', weight: 2.2 }, { header: 'Criterion', weight: 3.2 }, { header: 'Latest level', weight: 2 },
      { header: 'On', weight: 1.4 }, { header: 'Times scored', weight: 1.2, align: 'right' }
    ],
    rows
  })
  const never = d.areas.flatMap((area) => area.criteria.filter((c) => c.latest === null).map((c) => `${c.title} (${area.title})`))
  subheading(doc, 'Criteria never yet observed', undefined, 20)
  paragraph(doc, never.length === 0
    ? 'None: every criterion has been scored at least once.'
    : `${never.length} of ${d.areas.reduce((n, a) => n + a.criteria.length, 0)}: ${never.join('; ')}. Plan sessions where these can come up.`,
  never.length === 0 ? { color: COLOR.muted } : {})
  gap(doc, 6)
}

function tallies(doc: Doc, d: ProgressReportData): void {
  heading(doc, 'Supervisors and settings', 80)
  const tallyTable = (title: string, rows: Tally[]) => table(doc, {
    columns: [{ header: title, weight: 5 }, { header: 'Observations', weight: 1.5, align: 'right' }, { header: 'Latest', weight: 1.5 }],
    rows: rows.map((t) => [t.name, String(t.observations), t.lastSessionDate]),
    emptyNote: 'None yet.'
  })
  tallyTable('Supervisor', d.supervisors)
  tallyTable('Setting', d.settings)
}

const AREA_COLUMN_TEXT = 40

/** Area titles as column headers when each word fits the narrow column, else "A1".. with a key above the table. */
function areaHeaders(doc: Doc, d: ProgressReportData): { titles: string[]; weight: number } {
  doc.font('bold').fontSize(SIZE.tiny)
  const fits = d.areas.every((a) => a.title.split(/\s+/).every((word) => doc.widthOfString(word) <= AREA_COLUMN_TEXT))
  if (fits) return { titles: d.areas.map((a) => a.title), weight: 1.6 }
  paragraph(doc, `Area scores: ${d.areas.map((a, i) => `A${i + 1} ${a.title}`).join(' · ')}.`, { size: SIZE.tiny, color: COLOR.muted })
  gap(doc, 3)
  return { titles: d.areas.map((_, i) => `A${i + 1}`), weight: 1.1 }
}

function history(doc: Doc, d: ProgressReportData): void {
  heading(doc, 'Every submitted observation', 80)
  const areaColumns = areaHeaders(doc, d)
  const rows = d.observations.map((o, i): TableRow => [
    String(i + 1), o.sessionDate, o.supervisor, `${o.setting} · ${modalityLabel(o.modality)}`, String(o.durationMinutes),
    ...o.areaScores.map(score),
    { text: score(o.overall), face: 'bold' },
    o.acknowledged ? 'Yes' : { text: 'Not yet', color: COLOR.warning }
  ])
  table(doc, {
    columns: [
      { header: '#', weight: 0.7, align: 'right' }, { header: 'Date', weight: 1.7 }, { header: 'Supervisor', weight: 2.4 },
      { header: 'Setting · modality', weight: 3.2 }, { header: 'Min', weight: 0.8, align: 'right' },
      ...areaColumns.titles.map((header) => ({ header, weight: areaColumns.weight, align: 'right' as const })),
      { header: 'Overall', weight: 1.3, align: 'right' }, { header: 'Read by trainee', weight: 1.5 }
    ],
    rows,
    size: SIZE.tiny,
    emptyNote: 'No submitted observation yet.'
  })
}

export function renderProgressReport(data: ProgressReportData): Doc {
  const meta = progressMeta(data)
  const doc = createReportDocument(meta)
  header(doc, data)
  checklist(doc, data)
  trends(doc, data)
  criteria(doc, data)
  tallies(doc, data)
  history(doc, data)
  finishReport(doc, meta)
  return doc
}
