import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { ProblemSchema } from '../lib/schemas.ts'
import { cspHeader, DOCS_CSP } from './security-headers.ts'
import { completeDocument } from './openapi-document.ts'

const problem = { $ref: 'Problem#' }
const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problem } }
})

/** Error responses every authenticated route can give; merged into each route's schema. */
const COMMON_ERRORS: Record<string, string> = {
  400: 'The request is malformed or invalid; `errors` lists each problem.',
  401: 'Missing, invalid or revoked API key.',
  403: 'Your role may not perform this action.',
  404: 'Not found, or not visible to you.',
  500: 'Unexpected error.'
}

const WRITE_ERRORS: Record<string, string> = {
  409: 'Conflicts with the current state (a duplicate, a locked record, a repeated action).',
  413: 'The body is larger than the configured limit.',
  415: 'The body is not JSON.',
  422: 'Well-formed, but cannot be applied (an unknown reference, a rule of the domain); `errors` points at each value.'
}

const CONDITIONAL_ERRORS: Record<string, string> = {
  412: 'If-Match does not match the current ETag: someone changed the record since you read it. Nothing was changed.',
  428: 'If-Match is required for this change.'
}

/**
 * A query parameter with a default (say `limit`) is filled in by validation, so TypeBox lists it as
 * required; to a client it is optional, and the document must say so.
 */
function optionalWhenDefaulted(schema: FastifySchema): FastifySchema {
  const query = schema.querystring as { properties?: Record<string, { default?: unknown }>; required?: string[] } | undefined
  if (!query?.required || !query.properties) return schema
  const properties = query.properties
  const required = query.required.filter((name) => properties[name]?.default === undefined)
  return { ...schema, querystring: { ...query, required } }
}

export default fp(async function swaggerPlugin(app: FastifyInstance, opts: { version: string }) {
  app.addSchema(ProblemSchema)
  /** Paths (as the document writes them) of the routes no rate limit counts. */
  const unlimited = new Set<string>()

  app.addHook('onRoute', (route: RouteOptions) => {
    if (route.config?.rateLimit === false) unlimited.add(route.url.replace(/:(\w+)/g, '{$1}'))
    if (!route.schema || route.schema.hide) return
    const response = { ...(route.schema.response as Record<string, unknown> | undefined) }
    const methods = [route.method].flat()
    const headers = route.schema.headers as { properties?: Record<string, unknown> } | undefined
    const errors = {
      ...COMMON_ERRORS,
      ...(methods.some((m) => m !== 'GET' && m !== 'HEAD') ? WRITE_ERRORS : {}),
      ...(headers?.properties?.['if-match'] ? CONDITIONAL_ERRORS : {})
    }
    for (const [code, description] of Object.entries(errors)) {
      if (!(code in response)) response[code] = problemResponse(description)
    }
    route.schema.response = response
  })

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Rapport API',
        version: opts.version,
        description: 'Competency rubrics, supervisor observations, feedback reports and certificates for the Certificate in Building Therapeutic Relationships with Clients.'
      },
      components: {
        securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key: Authorization: Bearer rk_...' } }
      },
      security: [{ apiKey: [] }],
      tags: [
        { name: 'health', description: 'Liveness and readiness' },
        { name: 'rubrics', description: 'Competency rubrics and their versions' },
        { name: 'organizations', description: 'Employer sites' },
        { name: 'programs', description: 'Certificate programmes and cohorts' },
        { name: 'people', description: 'Trainees, supervisors and assignments' },
        { name: 'observations', description: 'Supervisor observations of trainee sessions' },
        { name: 'accounts', description: 'Accounts and API keys' },
        { name: 'audit', description: 'The audit log' },
        { name: 'reports', description: 'PDF and CSV reports' },
        { name: 'eligibility', description: 'Certificate eligibility rules and who meets them' },
        { name: 'certificates', description: 'Issued certificates, their credentials and public verification' },
        { name: 'events', description: 'The event feed: what happened, in an order that never skips a late commit' },
        { name: 'webhooks', description: 'Webhook endpoints (Standard Webhooks), their deliveries, retries and replays' }
      ]
    },
    transform: ({ schema, url }) => ({ schema: optionalWhenDefaulted(schema), url }),
    transformObject: (documents) => completeDocument('openapiObject' in documents ? documents.openapiObject as Record<string, unknown> : documents.swaggerObject as Record<string, unknown>,
      { unlimited: (path) => unlimited.has(path) }),
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) }
  })
  // Swagger UI loads only its own files (and fetches /docs/json); no inline script or style.
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: cspHeader(DOCS_CSP) })
}, { name: 'swagger' })
