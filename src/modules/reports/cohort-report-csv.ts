import { Readable } from 'node:stream'
import { CSV_BOM, csvRow } from '../../lib/csv.ts'
import type { CohortReport } from './cohort-report-service.ts'

const ELIGIBILITY = { eligible: 'eligible', close: 'close (one rule missing)', not_eligible: 'not eligible' } as const

/** Rows per chunk handed to the socket: fewer, larger writes without holding much in memory. */
const ROWS_PER_CHUNK = 200

export function cohortCsvHeader(report: CohortReport): string[] {
  return [
    'Trainee', 'Email', 'Organization', 'External HR ID', 'Observations', 'Acknowledged', 'Distinct supervisors',
    'Last observation', 'Days since last observation', `No observation in last ${report.filter.inactiveDays} days`,
    ...report.areas.map((a) => a.title), 'Overall',
    `Certificate eligibility (as of ${report.filter.asOf})`, 'Eligibility rules not met'
  ]
}

async function* cohortCsvChunks(report: CohortReport): AsyncGenerator<string> {
  let chunk = CSV_BOM + csvRow(cohortCsvHeader(report))
  let count = 0
  for await (const r of report.rows()) {
    chunk += csvRow([
      r.name, r.email, r.organization, r.externalHrId, r.observations, r.acknowledged, r.supervisors,
      r.lastObservationOn, r.daysSinceLastObservation, r.inactive ? 'yes' : 'no', ...r.areaScores, r.overall,
      r.eligibility === null ? 'no rules set' : ELIGIBILITY[r.eligibility], r.unmetRules.join('; ')
    ])
    if (++count % ROWS_PER_CHUNK === 0) {
      yield chunk
      chunk = ''
    }
  }
  if (chunk !== '') yield chunk
}

/**
 * The report as a CSV byte stream. Readable.from pulls the next chunk only when the consumer has
 * room, and the rows pull the next database batch only when they run out: backpressure reaches the
 * database, so memory stays flat whatever the cohort's size.
 */
export function cohortCsvStream(report: CohortReport): Readable {
  return Readable.from(cohortCsvChunks(report), { objectMode: false })
}

/** cohort-<name>-<date>.csv, the name as the coordinator knows it (made ASCII for the fallback). */
export const cohortCsvFileName = (report: CohortReport) => `cohort-${report.cohort.name}-${report.filter.asOf}.csv`
