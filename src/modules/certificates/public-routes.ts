import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { CodeParams } from './certificates-schemas.ts'
import { verify } from './certificates-service.ts'
import { publicJwks } from './signing-key.ts'
import { pagePolicy, selfContainedPageCsp } from '../../plugins/security-headers.ts'
import { renderVerifyPage, VERIFY_PAGE_STYLE_HASH, verifyJson, VerifyResultSchema } from './verify-page.ts'

/**
 * What anyone may read without a key: a certificate's status by its code, and what a verifier of
 * the credentials needs (the issuer's public keys and profile). Nothing else about anyone.
 */
const tags = ['certificates']

const publicRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/verify/:code', {
    helmet: pagePolicy(selfContainedPageCsp(VERIFY_PAGE_STYLE_HASH)),
    schema: {
      tags, operationId: 'verifyCertificate', security: [],
      summary: 'Check a certificate (public): valid, revoked (with the date) or unknown',
      description: 'HTML for people; JSON with Accept: application/json (or ?format=json). Shows only the name, the program, the date issued and the serial. An unknown code answers 404.',
      params: CodeParams,
      querystring: Type.Object({ format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('html')])) }, { additionalProperties: false }),
      response: {
        200: { description: 'Valid or revoked.', content: { 'application/json': { schema: VerifyResultSchema }, 'text/html': { schema: Type.String() } } },
        404: { description: 'No certificate has this code.', content: { 'application/json': { schema: VerifyResultSchema }, 'text/html': { schema: Type.String() } } }
      }
    }
  }, async (request, reply) => {
    const result = verifyJson(await verify(app.db, request.params.code))
    const accept = request.headers.accept ?? ''
    // Browsers ask for text/html first; an API client that names JSON (and not HTML) gets JSON.
    const json = request.query.format === 'json' || (request.query.format !== 'html' && accept.includes('application/json') && !accept.includes('text/html'))
    reply.code(result.status === 'unknown' ? 404 : 200)
      .header('cache-control', 'no-store').header('x-robots-tag', 'noindex').header('vary', 'accept')
    return json ? reply.type('application/json').send(result) : reply.type('text/html; charset=utf-8').send(renderVerifyPage(result, app.issuer.name))
  })

  app.get('/.well-known/jwks.json', {
    schema: {
      tags, operationId: 'getIssuerJwks', security: [], summary: 'The public keys that verify certificate credentials (JWK set)',
      response: {
        200: Type.Object({
          keys: Type.Array(Type.Object({ kty: Type.Literal('OKP'), crv: Type.Literal('Ed25519'), x: Type.String({ maxLength: 43, pattern: '^[A-Za-z0-9_-]+$' }), kid: Type.String({ maxLength: 100 }), alg: Type.Literal('EdDSA'), use: Type.Literal('sig') }), { maxItems: 10 })
        })
      }
    }
  }, async (_request, reply) => reply.header('cache-control', 'public, max-age=3600').send(publicJwks(app.issuer.key())))

  app.get('/issuer', {
    schema: {
      tags, operationId: 'getIssuerProfile', security: [], summary: 'The issuer\'s Open Badges profile',
      response: {
        200: Type.Object({
          '@context': Type.Array(Type.String({ format: 'uri', maxLength: 200 }), { maxItems: 10 }), id: Type.String({ format: 'uri', maxLength: 2000 }),
          type: Type.Array(Type.String({ maxLength: 100 }), { maxItems: 10 }), name: Type.String({ maxLength: 1000 })
        })
      }
    }
  }, async () => ({
    '@context': ['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'],
    id: `${app.issuer.baseUrl}/issuer`, type: ['Profile'], name: app.issuer.name
  }))
}

export default publicRoutes
