import type { Db } from '../../db/client.ts'
import { ERRORS } from '../../errors.ts'
import type { ProgressReportData } from '../../reports/progress-report.ts'
import type { Principal, RequestContext } from '../../lib/request-context.ts'
import { observationScope, traineeProgramScope, traineeScope } from '../access/policy.ts'
import { auditObservationReads } from '../access/read-audit.ts'
import { evaluateTrainee } from '../eligibility/eligibility-service.ts'
import { getPinnedRubrics } from '../observations/rubric-lookup.ts'
import { getRubricVersionById } from '../rubrics/rubric-cache.ts'
import { buildProgressData } from './progress-report-data.ts'
import { findProgram, findProgressSubject, listProgressObservations } from './progress-report-repository.ts'
import type { ProgressReportQuery } from './progress-report-schemas.ts'

/** What the report covers depends on who asks: it never draws on an observation the caller could not read. */
function coverageOf(p: Principal): string {
  switch (p.role) {
    case 'supervisor': return 'Covers the submitted observations of this trainee that you made (supervisors see their own observations).'
    case 'trainee': return 'Covers every one of your submitted observations in this program.'
    default: return 'Covers every submitted observation of the trainee in this program, by every supervisor.'
  }
}

/**
 * The progress report's data: the trainee under the caller's trainee scope (404 outside it), the
 * program of their cohort unless another is named, and the observations of it the caller may read.
 * Each observation included is audited as read, as the observation list does.
 */
export async function getProgressReportData(db: Db, ctx: RequestContext, traineeId: string, query: ProgressReportQuery, now: Date): Promise<ProgressReportData> {
  const p = ctx.principal
  return db.transaction(async (tx) => {
    const subject = await findProgressSubject(tx, traineeId, traineeScope(p))
    if (!subject) throw ERRORS.notFound('trainee', traineeId)
    const programId = query.programId ?? subject.cohortProgramId
    if (!programId) {
      throw ERRORS.validation([{ pointer: '/query/programId', detail: 'is required: the trainee is in no cohort, so name the program to report on' }])
    }
    const program = await findProgram(tx, programId, traineeProgramScope(p, traineeId))
    if (!program) throw ERRORS.notFound('program', programId)
    const record = await getRubricVersionById(tx, program.rubricVersionId)
    if (!record) throw ERRORS.internal()
    const rows = await listProgressObservations(tx, observationScope(p), traineeId, program.id)
    const rubrics = await getPinnedRubrics(tx, rows.map((r) => r.rubricVersionId))
    const eligibility = await evaluateTrainee(tx, ctx, traineeId, { programId: program.id, asOf: now.toISOString().slice(0, 10) })
    await auditObservationReads(tx, ctx, rows.map((r) => ({ id: r.id, changes: { via: 'progress.pdf' } })))
    return buildProgressData({
      names: { trainee: subject.name, organization: subject.organization, cohort: subject.cohort, program: program.name },
      traineeId, programId: program.id,
      definition: record.definition,
      rubric: { key: record.key, version: record.version },
      rows, rubrics, coverage: coverageOf(p), generatedAt: now,
      eligibility: {
        asOf: eligibility.asOf, message: eligibility.message,
        rules: eligibility.rules.map((r) => ({ description: r.description, met: r.met, missing: r.missing }))
      }
    })
  })
}
