import type { CohortTraineeRow } from '../modules/reports/cohort-report-schemas.ts'
import { ELIGIBILITY_LABEL } from '../lib/eligibility-labels.ts'
import { levelBarChart, type ScaleLevel } from './charts.ts'
import { createReportDocument, finishReport, type Doc, type ReportMeta } from './document.ts'
import { nearestLevel } from './feedback-report.ts'
import { fieldGrid, gap, heading, paragraph, titleBlock } from './layout.ts'
import { table, type TableRow } from './table.ts'
import { COLOR, SIZE } from './theme.ts'

/**
 * The coordinator's cohort report: where the cohort stands per skill area, the criteria it is
 * weakest in, who has not been observed lately, and a line per trainee. Plain data for a worker.
 */
/** A trainee's line as the PDF shows it: the CSV's row without the contact and HR fields. */
export type CohortReportTrainee = Pick<CohortTraineeRow,
  'name' | 'organization' | 'observations' | 'supervisors' | 'lastObservationOn' | 'daysSinceLastObservation' | 'inactive' | 'areaScores' | 'overall' | 'eligibility'>

export interface CohortReportCriterion {
  areaTitle: string
  criterionTitle: string
  meanLevel: number
  trainees: number
}

export interface CohortReportData {
  reportId: string
  generatedAt: Date
  program: string
  cohort: string
  /** The organization filter's name, or null for every organization. */
  organization: string | null
  from: string | null
  to: string | null
  asOf: string
  inactiveDays: number
  rubric: { key: string; version: number; title: string }
  scale: ScaleLevel[]
  areas: string[]
  trainees: CohortReportTrainee[]
  /** Every criterion scored in the trainees' latest observations, lowest mean first. */
  weakest: CohortReportCriterion[]
}

const COORDINATOR_CONFIDENTIAL = 'Confidential: for the training provider\'s coordinators. Contains trainees\' assessment results.'
const WEAKEST_SHOWN = 5
const score = (value: number | null) => (value === null ? '—' : value.toFixed(2))

export function cohortMeta(d: CohortReportData): ReportMeta {
  return {
    reportId: d.reportId,
    title: `Cohort report: ${d.cohort}, as of ${d.asOf}`,
    subject: `Cohort progress (${d.program})`,
    generatedAt: d.generatedAt,
    confidentiality: COORDINATOR_CONFIDENTIAL
  }
}

const mean = (values: Array<number | null>): number | null => {
  const present = values.filter((v): v is number => v !== null)
  return present.length === 0 ? null : present.reduce((a, b) => a + b, 0) / present.length
}

function header(doc: Doc, d: CohortReportData): void {
  titleBlock(doc, 'Cohort report', `${d.program} · ${d.cohort}`)
  const inactive = d.trainees.filter((t) => t.inactive).length
  const eligible = d.trainees.filter((t) => t.eligibility === 'eligible').length
  const close = d.trainees.filter((t) => t.eligibility === 'close').length
  const period = d.from || d.to ? `${d.from ?? 'start'} to ${d.to ?? d.asOf}` : 'All sessions'
  fieldGrid(doc, [
    ['Cohort', d.cohort],
    ['Organization', d.organization ?? 'All organizations'],
    ['Sessions', period],
    ['Trainees', `${d.trainees.length} · ${d.trainees.reduce((n, t) => n + t.observations, 0)} observations`],
    ['Not observed lately', `${inactive} with none in the ${d.inactiveDays} days to ${d.asOf}`],
    ['Rubric', `${d.rubric.title} (${d.rubric.key} v${d.rubric.version})`],
    ['Certificate eligibility', d.trainees.some((t) => t.eligibility !== null) ? `${eligible} eligible · ${close} one rule short` : 'No rules set for the program'],
    ['As of', d.asOf]
  ])
}

function standing(doc: Doc, d: CohortReportData): void {
  heading(doc, 'Where the cohort stands', 120)
  levelBarChart(doc, {
    scale: d.scale,
    rows: d.areas.map((title, i) => ({ label: title, value: mean(d.trainees.map((t) => t.areaScores[i] ?? null)) })),
    emptyNote: 'Nobody scored yet'
  })
  paragraph(doc, 'Mean over the trainees of each one\'s latest observation in the period; trainees without one are left out.', { size: SIZE.tiny, color: COLOR.muted })
  gap(doc, 4)
}

function weakest(doc: Doc, d: CohortReportData): void {
  heading(doc, 'Criteria where the cohort is weakest', 80)
  const shown = d.weakest.slice(0, WEAKEST_SHOWN)
  table(doc, {
    columns: [
      { header: 'Criterion', weight: 4 }, { header: 'Skill area', weight: 3 },
      { header: 'Mean level', weight: 2.4 }, { header: 'Trainees scored', weight: 1.6, align: 'right' }
    ],
    rows: shown.map((c): TableRow => [
      { text: c.criterionTitle, face: 'bold' }, c.areaTitle,
      `${c.meanLevel.toFixed(2)} · ${nearestLevel(d.scale, c.meanLevel)?.label ?? ''}`, String(c.trainees)
    ]),
    emptyNote: 'No criterion has been scored yet.'
  })
  if (d.weakest.length > shown.length) {
    paragraph(doc, `The ${shown.length} lowest of ${d.weakest.length} criteria scored; the API lists them all (report/weakest-criteria).`, { size: SIZE.tiny, color: COLOR.muted })
  }
}

function inactiveList(doc: Doc, d: CohortReportData): void {
  heading(doc, `No observation in the last ${d.inactiveDays} days`, 60)
  const rows = d.trainees.filter((t) => t.inactive).map((t): TableRow => [
    { text: t.name, face: 'bold' }, t.organization, t.lastObservationOn ?? { text: 'Never observed', face: 'italic', color: COLOR.warning },
    t.daysSinceLastObservation === null ? '—' : String(t.daysSinceLastObservation)
  ])
  table(doc, {
    columns: [{ header: 'Trainee', weight: 4 }, { header: 'Organization', weight: 3.5 }, { header: 'Last observation', weight: 2 }, { header: 'Days since', weight: 1.5, align: 'right' }],
    rows,
    emptyNote: 'Everyone has been observed recently.'
  })
}

function perTrainee(doc: Doc, d: CohortReportData): void {
  heading(doc, 'Per trainee', 80)
  paragraph(doc, `Area scores: ${d.areas.map((a, i) => `A${i + 1} ${a}`).join(' · ')}, from each trainee's latest observation. ! = no observation in the last ${d.inactiveDays} days.`, { size: SIZE.tiny, color: COLOR.muted })
  gap(doc, 3)
  table(doc, {
    columns: [
      { header: 'Trainee', weight: 3.4 }, { header: 'Organization', weight: 2.6 }, { header: 'Obs.', weight: 0.9, align: 'right' },
      { header: 'Supervisors', weight: 1.9, align: 'right' }, { header: 'Last', weight: 1.9 },
      ...d.areas.map((_, i) => ({ header: `A${i + 1}`, weight: 1, align: 'right' as const })),
      { header: 'Overall', weight: 1.3, align: 'right' }, { header: 'Certificate', weight: 1.7 }
    ],
    rows: d.trainees.map((t): TableRow => [
      { text: t.inactive ? `! ${t.name}` : t.name, face: 'bold', color: t.inactive ? COLOR.warning : COLOR.text },
      t.organization, String(t.observations), String(t.supervisors), t.lastObservationOn ?? '—',
      ...t.areaScores.map(score), { text: score(t.overall), face: 'bold' },
      t.eligibility === 'eligible' ? { text: ELIGIBILITY_LABEL.eligible, face: 'bold', color: COLOR.accent }
        : t.eligibility === 'close' ? ELIGIBILITY_LABEL.close : t.eligibility ? { text: ELIGIBILITY_LABEL.not_eligible, color: COLOR.muted } : '—'
    ]),
    size: SIZE.tiny,
    emptyNote: 'No trainee matches.'
  })
}

export function renderCohortReport(data: CohortReportData): Doc {
  const meta = cohortMeta(data)
  const doc = createReportDocument(meta)
  header(doc, data)
  standing(doc, data)
  weakest(doc, data)
  inactiveList(doc, data)
  perTrainee(doc, data)
  finishReport(doc, meta)
  return doc
}
