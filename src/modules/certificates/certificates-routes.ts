import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Readable } from 'node:stream'
import { Type } from 'typebox'
import { ifMatchOf } from '../../lib/crud.ts'
import { IdParams } from '../../lib/schemas.ts'
import { contextOf } from '../../plugins/auth.ts'
import { sendPdf } from '../../plugins/render-pool.ts'
import { CertificateListQuery, CertificatePage, CertificateSchema, IssueBody, RevokeBody } from './certificates-schemas.ts'
import { certificateData, certificateEtag, credentialOf, getCertificate, issueCertificate, listCertificatePage, revoke, toView } from './certificates-service.ts'
import { CREDENTIAL_MEDIA_TYPE } from './credential.ts'

const tags = ['certificates']
const issuers = ['admin', 'coordinator'] as const
const readers = ['admin', 'coordinator', 'supervisor', 'trainee', 'integrator'] as const
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: 'Problem#' } } } })

const certificatesRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const baseUrl = app.issuer.baseUrl

  app.post('/certificates', {
    onRequest: app.requireRole(...issuers),
    schema: {
      tags, operationId: 'issueCertificate', summary: 'Issue the trainee\'s certificate (only when eligible; once)',
      description: 'Evaluates eligibility now; 409 with the unmet rules when the trainee is not eligible. Issuing again returns the certificate in force (200). The certificate snapshots the rules version and the observations and scores that satisfied them, and carries a signed Open Badges 3.0 credential.',
      body: IssueBody,
      response: { 200: CertificateSchema, 201: CertificateSchema, 409: problem('Not eligible: the problem lists the unmet rules (unmet).') }
    }
  }, async (request, reply) => {
    const ctx = contextOf(request)
    const { created, row } = await issueCertificate(app.db, ctx, app.issuer, request.body, new Date())
    if (created) reply.code(201).header('location', `/v1/certificates/${row.id}`)
    return reply.header('etag', certificateEtag(row)).send(toView(row, baseUrl, ctx.principal, { evidence: true }))
  })

  app.get('/certificates', {
    onRequest: app.requireRole(...readers),
    schema: { tags, operationId: 'listCertificates', summary: 'Certificates you can see, newest first', querystring: CertificateListQuery, response: { 200: CertificatePage } }
  }, async (request) => {
    const ctx = contextOf(request)
    const page = await listCertificatePage(app.db, ctx, request.query)
    return { items: page.items.map((row) => toView(row, baseUrl, ctx.principal)), nextCursor: page.nextCursor }
  })

  app.get('/certificates/:id', {
    onRequest: app.requireRole(...readers),
    schema: { tags, operationId: 'getCertificate', summary: 'A certificate, with the evidence it was issued on', params: IdParams, response: { 200: CertificateSchema } }
  }, async (request, reply) => {
    const ctx = contextOf(request)
    const row = await getCertificate(app.db, ctx, request.params.id)
    return reply.header('etag', certificateEtag(row)).send(toView(row, baseUrl, ctx.principal, { evidence: true }))
  })

  app.post('/certificates/:id/revoke', {
    onRequest: app.requireRole(...issuers),
    schema: {
      tags, operationId: 'revokeCertificate', summary: 'Revoke a certificate, with a reason',
      description: 'If-Match required. The public verification then answers "revoked" with the date (never the reason). A new certificate may be issued afterwards.',
      params: IdParams, headers: Type.Object({ 'if-match': Type.Optional(Type.String({ maxLength: 200 })) }), body: RevokeBody,
      response: { 200: CertificateSchema, 409: problem('Already revoked.') }
    }
  }, async (request, reply) => {
    const ctx = contextOf(request)
    const row = await revoke(app.db, ctx, request.params.id, request.body.reason, ifMatchOf(request), new Date())
    return reply.header('etag', certificateEtag(row)).send(toView(row, baseUrl, ctx.principal, { evidence: true }))
  })

  app.get('/certificates/:id/certificate.pdf', {
    onRequest: app.requireRole(...readers),
    schema: {
      tags, operationId: 'getCertificatePdf', summary: 'The certificate to print (landscape PDF with a QR code of its verification address)',
      params: IdParams,
      response: {
        200: { description: 'The PDF, streamed.', content: { 'application/pdf': { schema: Type.Unsafe<Readable>({ type: 'string', format: 'binary' }) } } },
        409: problem('The certificate was revoked.')
      }
    }
  }, async (request, reply) => {
    return sendPdf(reply, app.renderPool, 'certificate', async () => {
      const data = certificateData(await getCertificate(app.db, contextOf(request), request.params.id), baseUrl)
      return { data, name: `certificate-${data.serial}.pdf` }
    })
  })

  app.get('/certificates/:id/credential', {
    onRequest: app.requireRole(...readers),
    schema: {
      tags, operationId: 'getCertificateCredential', summary: 'The certificate as a signed Open Badges 3.0 credential (VC-JWT)',
      description: 'An OpenBadgeCredential (W3C VC data model 2.0) secured as a JWS (EdDSA, Ed25519); verify it with the keys at /.well-known/jwks.json. A revoked certificate\'s credential is withdrawn: 410 (`credential-revoked`).',
      params: IdParams,
      response: {
        200: { description: 'The compact JWS.', content: { [CREDENTIAL_MEDIA_TYPE]: { schema: Type.String() } } },
        410: problem('The certificate was revoked; its credential is withdrawn (code credential-revoked).')
      }
    }
  }, async (request, reply) => {
    const row = await getCertificate(app.db, contextOf(request), request.params.id)
    const credential = credentialOf(row)
    return reply.type(CREDENTIAL_MEDIA_TYPE).header('content-disposition', `attachment; filename="certificate-${row.serial}.jwt"`).send(credential)
  })
}

export default certificatesRoutes
