import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Readable } from 'node:stream'
import { Type } from 'typebox'
import { IdParams } from '../../lib/schemas.ts'
import { contextOf } from '../../plugins/auth.ts'
import { sendPdf } from '../../plugins/render-pool.ts'
import { ProgressReportQuery } from './progress-report-schemas.ts'
import { getProgressReportData } from './progress-report-service.ts'

/** The trainee progress report: read on the main thread, laid out in the render pool, streamed. */
const progressReportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/trainees/:id/progress.pdf', {
    // A coaching document: for the people around the trainee, not for HR integrations.
    onRequest: app.requireRole('admin', 'coordinator', 'supervisor', 'trainee'),
    schema: {
      tags: ['reports'], operationId: 'getTraineeProgressPdf',
      summary: 'The trainee\'s progress report, as a PDF (same access as the trainee)',
      description: 'Every submitted observation of the trainee in the program that the caller may read, a trend chart per skill area, the latest level per criterion, criteria never observed, supervisors and settings. Integrators are refused (403).',
      params: IdParams, querystring: ProgressReportQuery,
      response: {
        200: { description: 'The PDF, streamed.', content: { 'application/pdf': { schema: Type.Unsafe<Readable>({ type: 'string', format: 'binary' }) } } }
      }
    }
  }, async (request, reply) => {
    return sendPdf(reply, app.renderPool, 'progress', async () => {
      const data = await getProgressReportData(app.db, contextOf(request), request.params.id, request.query, new Date())
      return { data, name: `progress-${data.reportId}.pdf` }
    })
  })
}

export default progressReportRoutes
