import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams } from '../../lib/schemas.ts'
import { contextOf } from '../../plugins/auth.ts'
import { sendPdf } from '../../plugins/render-pool.ts'
import { getFeedbackReportData } from './feedback-report-service.ts'

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: 'Problem#' } } } })

/**
 * PDF reports. The data is read on the main thread; layout happens in the app's pool of worker
 * threads and the bytes stream to the client as they are produced.
 */
const feedbackReportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/observations/:id/report.pdf', {
    // The report exists for its narrative, which integrators may never receive.
    onRequest: app.requireRole('admin', 'coordinator', 'supervisor', 'trainee'),
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
    return sendPdf(reply, app.renderPool, 'feedback', async () => {
      const data = await getFeedbackReportData(app.db, contextOf(request), request.params.id, new Date())
      return { data, name: `feedback-${data.sessionDate}-${data.reportId}.pdf` }
    })
  })
}

export default feedbackReportRoutes
