import { eq } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { organizations, programs } from '../../db/schema/index.ts'
import { ERRORS, problem } from '../../errors.ts'
import { digest } from '../../lib/digest.ts'
import type { CohortReportData, CohortReportTrainee } from '../../reports/cohort-report.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import { getRubricVersionById } from '../rubrics/rubric-cache.ts'
import type { CohortReportFilter } from './cohort-report-schemas.ts'
import { openCohortReport, weakestCriteria } from './cohort-report-service.ts'

/** A PDF is read by people: past this many trainees the CSV (which streams any size) is the format. */
export const PDF_MAX_TRAINEES = 5000

async function nameOf(db: Db, table: typeof programs | typeof organizations, id: string): Promise<string | undefined> {
  const [row] = await db.select({ name: table.name }).from(table).where(eq(table.id, id))
  return row?.name
}

/**
 * The cohort report's PDF data: the same rows as the CSV (same access, filter and scoring) and the
 * same weakest criteria as the JSON, gathered into one plain object for a render worker.
 */
export async function getCohortReportData(db: Db, ctx: RequestContext, cohortId: string, filter: CohortReportFilter, now: Date): Promise<CohortReportData> {
  const report = await openCohortReport(db, ctx, cohortId, filter)
  const trainees: CohortReportTrainee[] = []
  for await (const r of report.rows()) {
    if (trainees.length === PDF_MAX_TRAINEES) {
      throw problem('cohort-report-too-large', `More than ${PDF_MAX_TRAINEES} trainees match: too many for a readable PDF. Download report.csv, or filter by organization.`)
    }
    trainees.push({
      name: r.name, organization: r.organization, observations: r.observations, supervisors: r.supervisors,
      lastObservationOn: r.lastObservationOn, daysSinceLastObservation: r.daysSinceLastObservation, inactive: r.inactive,
      areaScores: r.areaScores, overall: r.overall, eligibility: r.eligibility
    })
  }
  const weakest = await weakestCriteria(db, ctx, cohortId, filter)
  const rubric = await getRubricVersionById(db, report.rubricVersionId)
  const program = await nameOf(db, programs, report.cohort.programId)
  if (!rubric || !program) throw ERRORS.internal()
  const organization = filter.organizationId === undefined ? null : await nameOf(db, organizations, filter.organizationId) ?? filter.organizationId
  const f = report.filter
  return {
    // Same cohort, filter and figures: the same id.
    reportId: `CR-${cohortId.slice(0, 8).toUpperCase()}-${digest(JSON.stringify([cohortId, f, trainees, weakest.items]), 8).toUpperCase()}`,
    generatedAt: now,
    program,
    cohort: report.cohort.name,
    organization,
    from: f.from ?? null,
    to: f.to ?? null,
    asOf: f.asOf,
    inactiveDays: f.inactiveDays,
    rubric: { key: rubric.key, version: rubric.version, title: rubric.definition.title },
    scale: [...rubric.definition.scale].sort((a, b) => a.value - b.value),
    areas: report.areas.map((a) => a.title),
    trainees,
    weakest: weakest.items.map((c) => ({ areaTitle: c.areaTitle, criterionTitle: c.criterionTitle, meanLevel: c.meanLevel, trainees: c.trainees }))
  }
}
