import type { App } from '../../src/app.ts'

/** The parts of JSON Schema the generated tests read from the OpenAPI document. */
export interface JsonSchema {
  $ref?: string
  type?: string | string[]
  format?: string
  enum?: unknown[]
  const?: unknown
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  allOf?: JsonSchema[]
  properties?: Record<string, JsonSchema>
  required?: string[]
  items?: JsonSchema
  minLength?: number
  maxLength?: number
  minimum?: number
  maximum?: number
  minItems?: number
  maxItems?: number
  minProperties?: number
  pattern?: string
}

export interface Parameter {
  name: string
  in: 'path' | 'query' | 'header' | 'cookie'
  required?: boolean
  schema: JsonSchema
}

export interface Operation {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /** The OpenAPI path template, e.g. /v1/trainees/{id}. */
  path: string
  operationId: string
  tags: string[]
  parameters: Parameter[]
  body?: JsonSchema
  /** The JSON body's documented example, when there is one. */
  bodyExample?: unknown
  /** The schema of the first 2xx JSON answer, when there is one. */
  success?: JsonSchema
  /** The content types documented for each status, e.g. { '404': ['application/json', 'text/html'] }. */
  documented: Record<string, string[]>
  /** False for operations that need no key (security: []). */
  secured: boolean
}

interface Document {
  paths: Record<string, Record<string, {
    operationId: string
    tags?: string[]
    parameters?: Parameter[]
    requestBody?: { content: Record<string, { schema: JsonSchema; example?: unknown }> }
    responses: Record<string, { content?: Record<string, { schema?: JsonSchema }> }>
    security?: unknown[]
  }>>
  components?: { schemas?: Record<string, JsonSchema> }
}

/** Every operation of the OpenAPI document the app serves at /docs/json, with $refs resolved. */
export async function loadOperations(app: App): Promise<Operation[]> {
  const res = await app.inject({ url: '/docs/json' })
  if (res.statusCode !== 200) throw new Error(`GET /docs/json answered ${res.statusCode}`)
  const doc = res.json() as Document
  const named = doc.components?.schemas ?? {}
  const deref = (s: JsonSchema | undefined): JsonSchema | undefined => {
    if (!s?.$ref) return s
    const target = named[s.$ref.replace('#/components/schemas/', '')]
    if (!target) throw new Error(`unresolved ${s.$ref}`)
    return deref(target)
  }
  const operations: Operation[] = []
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const success = Object.entries(op.responses).find(([status, r]) => status.startsWith('2') && r.content?.['application/json'])
      operations.push({
        method: method.toUpperCase() as Operation['method'],
        path,
        operationId: op.operationId,
        tags: op.tags ?? [],
        parameters: (op.parameters ?? []).map((p) => ({ ...p, schema: deref(p.schema) ?? {} })),
        body: deref(op.requestBody?.content['application/json']?.schema),
        bodyExample: op.requestBody?.content['application/json']?.example,
        success: deref(success?.[1].content?.['application/json']?.schema),
        documented: Object.fromEntries(Object.entries(op.responses).map(([status, r]) => [status, Object.keys(r.content ?? {})])),
        secured: op.security === undefined || op.security.length > 0
      })
    }
  }
  return operations
}

export const pathParams = (op: Operation) => op.parameters.filter((p) => p.in === 'path')
export const queryParams = (op: Operation) => op.parameters.filter((p) => p.in === 'query')

/** A GET without path parameters whose answer is a page of `items`. */
export const isList = (op: Operation) =>
  op.method === 'GET' && pathParams(op).length === 0 && op.success?.properties?.items !== undefined

/** The non-null branches of a schema (a nullable field is an anyOf with a null branch). */
export function branches(s: JsonSchema): JsonSchema[] {
  const union = s.anyOf ?? s.oneOf
  if (!union) return [s]
  return union.flatMap(branches).filter((b) => b.type !== 'null')
}

/** The URL of an operation with its path parameters filled in (each value URL-encoded). */
export function fillPath(op: Operation, values: Record<string, string>): string {
  return op.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = values[name]
    if (value === undefined) throw new Error(`${op.operationId}: no value for {${name}}`)
    return encodeSegment(value)
  })
}

/** Percent-encodes every byte of the UTF-8 form, so even a lone surrogate (sent as U+FFFD) makes a valid URL. */
function encodeSegment(value: string): string {
  try {
    return encodeURIComponent(value)
  } catch {
    return [...Buffer.from(value, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')
  }
}
