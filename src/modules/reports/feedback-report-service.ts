import type { Db } from '../../db/client.ts'
import { ERRORS, problem } from '../../errors.ts'
import type { FeedbackReportData } from '../../reports/feedback-report.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import { observationScope } from '../access/policy.ts'
import { observationRead } from '../access/read-audit.ts'
import { recordAudit } from '../../db/audit.ts'
import { contentOf, toView } from '../observations/observation-view.ts'
import { findObservation } from '../observations/observations-repository.ts'
import { getPinnedRubric, getPinnedRubrics } from '../observations/rubric-lookup.ts'
import { getRubricVersionById } from '../rubrics/rubric-cache.ts'
import { buildFeedbackData } from './feedback-report-data.ts'
import { findReportNames, listTrendObservations } from './feedback-report-repository.ts'

/** How many sessions the trend lines show (this one included). */
const TREND_SESSIONS = 12

/**
 * Everything the feedback report shows, read under the same rule as GET /v1/observations/{id}
 * (out of scope = 404) and audited as a read of the observation. A draft has no report yet (409):
 * feedback is handed out once it is submitted. Integrators are refused by the route (403).
 */
export async function getFeedbackReportData(db: Db, ctx: RequestContext, id: string, now: Date): Promise<FeedbackReportData> {
  const scope = observationScope(ctx.principal)
  return db.transaction(async (tx) => {
    const found = await findObservation(tx, id, scope)
    if (!found) throw ERRORS.notFound('observation', id)
    const { row } = found
    if (row.status === 'draft') throw problem('observation-is-draft', 'A draft has no feedback report yet; submit the observation first.')
    const rubric = await getPinnedRubric(tx, row.rubricVersionId)
    const record = await getRubricVersionById(tx, row.rubricVersionId)
    const names = await findReportNames(tx, row)
    if (!rubric || !record || !names) throw ERRORS.internal()
    const trend = await listTrendObservations(tx, scope, row, TREND_SESSIONS)
    const rubrics = await getPinnedRubrics(tx, trend.map((t) => t.rubricVersionId))
    await recordAudit(tx, ctx, observationRead(id, { revision: row.revision, via: 'report.pdf' }))
    return buildFeedbackData({
      view: toView(row, contentOf(row, found.scores), rubric),
      definition: record.definition,
      names,
      trend, rubrics, generatedAt: now
    })
  })
}
