import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Readable } from 'node:stream'
import { problem } from '../../errors.ts'
import { contextOf } from '../../plugins/auth.ts'
import { CsvUpload, limitBytes, readCsv, readJson } from './imports-parse.ts'
import { ImportCsvBody, ImportJsonBody, ImportParams, ImportQuery, ImportReport } from './imports-schemas.ts'
import { importPeople } from './imports-service.ts'

const tags = ['people']

/**
 * HR exports, CSV or JSON, up to IMPORT_MAX_BYTES: this route alone accepts bodies that large. Its
 * own preParsing hook counts the bytes (a 413 `import-too-large` past the limit), CSV is handed to
 * the service as the stream itself (parsed record by record, never buffered whole), and JSON is
 * parsed by Fastify with the route's body limit.
 */
const importsRoutes: FastifyPluginAsyncTypebox<{ importMaxBytes: number }> = async (app, opts) => {
  // Registered in this plugin only, so no other route accepts CSV.
  app.addContentTypeParser('text/csv', (_request, payload, done) => { done(null, new CsvUpload(payload as Readable)) })

  app.post('/organizations/:id/people/imports', {
    onRequest: app.requireRole('admin', 'coordinator', 'integrator'),
    bodyLimit: opts.importMaxBytes,
    preParsing: async (request, _reply, payload) => limitBytes(payload, opts.importMaxBytes, request.headers['content-length']),
    schema: {
      tags, operationId: 'importPeople', summary: 'Import trainees and supervisors from an HR export',
      description: 'Upserts by externalHrId within the organization; all or nothing (422 import-rows-invalid with the report when any row has an error). ' +
        'dryRun=true answers the plan without writing. mode=full (or fullSync=true) also deactivates the people of the roles in the file who are absent from it. ' +
        'See the README, "Bulk import from HR exports", and docs/people-import-sample.csv.',
      params: ImportParams, querystring: ImportQuery,
      body: { content: { 'text/csv': { schema: ImportCsvBody }, 'application/json': { schema: ImportJsonBody } } },
      response: { 200: ImportReport }
    }
  }, async (request) => {
    const body = request.body as unknown
    const csv = body instanceof CsvUpload
    if (!csv && !Array.isArray(body)) {
      throw problem('import-media-type', `Content type ${String(request.headers['content-type'])} is not an HR export; send text/csv or application/json (an array of rows).`)
    }
    const source = csv ? () => readCsv(body.stream) : async () => readJson(body as Array<Record<string, unknown>>)
    const full = request.query.mode === 'full' || request.query.fullSync === true
    const ctx = contextOf(request)
    return importPeople(app.db, { principal: ctx.principal, actor: ctx }, request.params.id, source,
      { dryRun: request.query.dryRun, full, format: csv ? 'csv' : 'json' })
  })
}

export default importsRoutes
