import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Readable } from 'node:stream'
import { Type } from 'typebox'
import { attachmentDisposition, CSV_CONTENT_TYPE } from '../../lib/csv.ts'
import { IdParams } from '../../lib/schemas.ts'
import { contextOf } from '../../plugins/auth.ts'
import { sendPdf } from '../../plugins/render-pool.ts'
import { cohortCsvFileName, cohortCsvStream } from './cohort-report-csv.ts'
import { CohortReportQuery, WeakestCriteriaSchema } from './cohort-report-schemas.ts'
import { openCohortReport, weakestCriteria } from './cohort-report-service.ts'
import { getCohortReportData, PDF_MAX_TRAINEES } from './cohort-report-pdf-service.ts'

const tags = ['reports']
const readers = ['admin', 'coordinator'] as const

const CsvResponse = {
  description: 'One line per active trainee of the cohort, in name order: UTF-8 with BOM, RFC 4180, CRLF line ends; text cells that could run as formulas start with \'.',
  // The body is a stream: the type says so, the document says it is a string of CSV.
  content: { 'text/csv': { schema: Type.Unsafe<Readable>({ type: 'string' }) } }
}

const PdfResponse = {
  description: 'The PDF, streamed.',
  content: { 'application/pdf': { schema: Type.Unsafe<Readable>({ type: 'string', format: 'binary' }) } }
}

/** Cohort reports for coordinators: a PDF to read, the per-trainee table as CSV, the weakest criteria as JSON. */
const cohortReportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/cohorts/:id/report.csv', {
    onRequest: app.requireRole(...readers),
    schema: {
      tags, operationId: 'getCohortReportCsv', summary: 'Download the cohort report as CSV (streamed)',
      description: 'Per trainee: observations (submitted or acknowledged) in the date range, acknowledged ones, distinct supervisors, last session date, days since, the inactivity flag, the area scores of the latest observation and its overall score, scored as observations are (weighted, "not observed" left out).',
      params: IdParams, querystring: CohortReportQuery, response: { 200: CsvResponse }
    }
  }, async (request, reply) => {
    const report = await openCohortReport(app.db, contextOf(request), request.params.id, request.query)
    return reply
      .type(CSV_CONTENT_TYPE)
      .header('content-disposition', attachmentDisposition(cohortCsvFileName(report)))
      .header('cache-control', 'no-store')
      .send(cohortCsvStream(report))
  })

  app.get('/cohorts/:id/report.pdf', {
    onRequest: app.requireRole(...readers),
    schema: {
      tags, operationId: 'getCohortReportPdf', summary: 'The cohort report as a PDF',
      description: `Same filters, figures and access as the CSV, plus the cohort's mean per skill area, its weakest criteria and the trainees not observed lately. Up to ${PDF_MAX_TRAINEES} trainees (422 beyond: use the CSV or filter by organization).`,
      params: IdParams, querystring: CohortReportQuery, response: { 200: PdfResponse }
    }
  }, async (request, reply) => {
    return sendPdf(reply, app.renderPool, 'cohort', async () => {
      const data = await getCohortReportData(app.db, contextOf(request), request.params.id, request.query, new Date())
      return { data, name: `cohort-${data.cohort}-${data.asOf}.pdf`, download: true }
    })
  })

  app.get('/cohorts/:id/report/weakest-criteria', {
    onRequest: app.requireRole(...readers),
    schema: {
      tags, operationId: 'getCohortWeakestCriteria', summary: 'Criteria where the cohort is weakest',
      description: 'Mean level per criterion over the latest observation of each trainee (same filters as the CSV), lowest first.',
      params: IdParams, querystring: CohortReportQuery, response: { 200: WeakestCriteriaSchema }
    }
  }, async (request) => weakestCriteria(app.db, contextOf(request), request.params.id, request.query))
}

export default cohortReportRoutes
