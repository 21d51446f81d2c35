/**
 * What the OpenAPI document states beyond each route's own schema, applied to the finished
 * document: the rate limit every counted operation answers with (headers on each response, a 429),
 * integer formats that follow from the bounds, and non-JSON bodies described by their media type.
 */

type Json = Record<string, unknown>
type Operation = { responses?: Record<string, Json> }

const INT32_MAX = 2 ** 31 - 1

const header = (description: string, schema: Json) => ({ description, schema })

/** Reusable headers (`components.headers`), after draft-ietf-httpapi-ratelimit-headers. */
export const RATE_LIMIT_HEADERS = {
  'RateLimit-Policy': header(
    'The quota policy that counted this request, e.g. `"per-key";q=3000;w=60`: `per-key` (an API key), `per-account` (a person signed in to the web pages) or `per-address` (anonymous requests from one client address), q requests per w seconds.',
    { type: 'string', maxLength: 100, pattern: '^"per-(key|account|address)";q=\\d+;w=\\d+$' }),
  RateLimit: header(
    'What is left of that quota, e.g. `"per-key";r=2987;t=42`: r more requests in the next t seconds.',
    { type: 'string', maxLength: 100, pattern: '^"per-(key|account|address)";r=\\d+;t=\\d+$' }),
  'Retry-After': header('Seconds until the quota is renewed and the request may be sent again.',
    { type: 'integer', format: 'int32', minimum: 1, maximum: 60 })
}

const ref = (name: string) => ({ $ref: `#/components/headers/${name}` })

const TOO_MANY = {
  description: 'Over the rate limit of the key, account or address (see RateLimit-Policy); wait Retry-After seconds. `violated-policies` names the policy.',
  headers: { 'RateLimit-Policy': ref('RateLimit-Policy'), RateLimit: ref('RateLimit'), 'Retry-After': ref('Retry-After') },
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } }
}

/** A bounded integer's format, as OpenAPI names it. */
function withIntegerFormat(node: Json): void {
  const type = node.type
  if (node.format !== undefined || !(type === 'integer' || (Array.isArray(type) && type.includes('integer')))) return
  const lo = node.minimum ?? node.exclusiveMinimum
  const hi = node.maximum ?? node.exclusiveMaximum
  if (typeof lo !== 'number' || typeof hi !== 'number') return
  node.format = lo >= -INT32_MAX - 1 && hi <= INT32_MAX ? 'int32' : 'int64'
}

function walk(node: unknown, visit: (node: Json) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, visit)
  } else if (node !== null && typeof node === 'object') {
    visit(node as Json)
    for (const value of Object.values(node)) walk(value, visit)
  }
}

/**
 * A whole non-JSON body (a PDF, a CSV, a page) is described by its media type; in OpenAPI 3.1 a
 * media type without a schema is any content of that type, where `{ type: string }` would claim a
 * JSON string of some length.
 */
function documentBodies(response: Json): void {
  const content = response.content as Record<string, Json> | undefined
  for (const [mediaType, media] of Object.entries(content ?? {})) {
    const schema = media.schema as Json | undefined
    const bareString = schema?.type === 'string' && Object.keys(schema).every((k) => k === 'type' || k === 'format')
    if (bareString && !/json/.test(mediaType)) delete media.schema
  }
}

/** Each deployment serves its own document, so the one server is wherever it was fetched from. */
const SERVER = {
  url: '/',
  description: 'The deployment serving this document (production, staging or a local instance alike): paths are relative to the address it was fetched from.',
  'x-internal': false
}

export function completeDocument(document: Json, o: { unlimited: (path: string) => boolean }): Json {
  document.servers = [SERVER]
  const components = (document.components ??= {}) as Json
  components.headers = { ...(components.headers as Json | undefined), ...RATE_LIMIT_HEADERS }
  for (const [path, methods] of Object.entries((document.paths ?? {}) as Record<string, Record<string, Operation>>)) {
    for (const operation of Object.values(methods)) {
      const responses = operation.responses ?? {}
      if (!o.unlimited(path)) {
        responses['429'] ??= structuredClone(TOO_MANY)
        for (const [status, response] of Object.entries(responses)) {
          if (!/^[24]/.test(status)) continue
          response.headers = { 'RateLimit-Policy': ref('RateLimit-Policy'), RateLimit: ref('RateLimit'), ...(response.headers as Json | undefined) }
        }
      }
      for (const response of Object.values(responses)) documentBodies(response)
    }
  }
  walk(document, withIntegerFormat)
  return document
}
