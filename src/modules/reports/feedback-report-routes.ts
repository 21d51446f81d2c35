import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams } from '../../lib/schemas.ts'
import { contextOf } from '../../plugins/auth.ts'
import { createRenderPool } from '../../reports/render-pool.ts'
import { getFeedbackReportData } from './feedback-report-service.ts'

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: 'Problem#' } } } })

/**
 * PDF reports. The data is read on the main thread; layout happens in a small pool of worker
 * threads (started on first use, stopped with the app) and the bytes stream to the client as they
 * are produced.
 */
const feedbackReportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const pool = createRenderPool()
  app.addHook('onClose', async () => pool.close())

  app.get('/observations/:id/report.pdf', {
    // The report exists for its narrative, which integrators may never receive.
    preHandler: app.requireRole('admin', 'coordinator', 'supervisor', 'trainee'),
    schema: {
      tags: ['observations'], operationId: 'getObservationReportPdf',
      summary: 'The feedback report of a submitted observation, as a PDF (same access as the observation)',
      description: 'Drafts have no report (409). Integrators are refused (403): the report is made of narrative feedback.',
      params: IdParams,
      response: {
        200: { description: 'The PDF, streamed.', content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } } },
        409: problem('The observation is still a draft.')
      }
    }
  }, async (request, reply) => {
    const data = await getFeedbackReportData(app.db, contextOf(request), request.params.id, new Date())
    return reply
      .type('application/pdf')
      .header('content-disposition', `inline; filename="feedback-${data.sessionDate}-${data.reportId}.pdf"`)
      .header('cache-control', 'private, no-store')
      .send(pool.render({ kind: 'feedback', data }))
  })
}

export default feedbackReportRoutes
