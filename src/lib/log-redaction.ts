/**
 * What a log line may say about a request or an error. Logs leave the service (to files, shippers,
 * support tickets), so they carry shapes and codes, never what people wrote: no statement
 * parameters, no row values, no free text from a URL, no secret from a path.
 */

export const REDACTED = '[redacted]'

/** The parts of a JSON Schema (TypeBox) that say a value is one of a closed set of plain forms. */
interface ValueSchema {
  type?: string | string[]
  format?: string
  enum?: unknown[]
  const?: unknown
  anyOf?: ValueSchema[]
  oneOf?: ValueSchema[]
  properties?: Record<string, ValueSchema>
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const FORMS: Record<string, RegExp> = {
  uuid: UUID,
  date: /^\d{4}-\d{2}-\d{2}$/,
  'date-time': /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/,
  integer: /^-?\d{1,15}$/,
  number: /^-?\d{1,15}(\.\d{1,15})?$/,
  boolean: /^(true|false)$/
}

/**
 * A value is logged as sent only when its schema allows nothing but plain forms (an enum member,
 * an id, a number, a boolean, a date) and the value has that form. Free text, cursors (they can
 * encode a name), tokens, codes and anything unknown are not.
 */
export function isPlainValue(schema: ValueSchema | undefined, value: string): boolean {
  if (!schema) return false
  const branches = schema.anyOf ?? schema.oneOf
  if (branches) return branches.some((b) => isPlainValue(b, value))
  if (schema.const !== undefined) return String(schema.const) === value
  if (schema.enum) return schema.enum.some((e) => String(e) === value)
  const form = FORMS[schema.format ?? ''] ?? FORMS[(Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type) ?? '']
  return form !== undefined && form.test(value)
}

export interface RouteShape {
  /** The route's pattern, e.g. /verify/:code; absent when no route matched. */
  pattern?: string
  params?: Record<string, unknown>
  schema?: { params?: ValueSchema; querystring?: ValueSchema }
}

/** A path parameter as logged: ids and plain schema forms as they are, anything else redacted. */
function paramValue(name: string, value: unknown, schema?: ValueSchema): string {
  const text = String(value ?? '')
  return UUID.test(text) || isPlainValue(schema?.properties?.[name], text) ? encodeURIComponent(text) : REDACTED
}

function pathOf(path: string, route: RouteShape, known: ReadonlySet<string>): string {
  const { pattern, params, schema } = route
  if (pattern && params) {
    return pattern.replace(/:([A-Za-z0-9_]+)|\*/g, (token, name?: string) =>
      paramValue(name ?? '*', params[name ?? '*'], schema?.params))
  }
  // No route matched: each segment is kept only if some route has it as a fixed part, or it is an id.
  return path.split('/').map((s) => (s === '' || known.has(s) || UUID.test(s) ? s : REDACTED)).join('/')
}

function queryOf(query: string, schema?: ValueSchema): string {
  const parts: string[] = []
  for (const [name, value] of new URLSearchParams(query)) {
    const member = schema?.properties && Object.hasOwn(schema.properties, name) ? schema.properties[name] : undefined
    if (!member) parts.push(REDACTED)
    else parts.push(`${encodeURIComponent(name)}=${isPlainValue(member, value) ? encodeURIComponent(value) : REDACTED}`)
  }
  return parts.length > 0 ? `?${parts.join('&')}` : ''
}

/** The URL as a log line shows it: the route's parameters and the query's values redacted unless plainly safe. */
export function redactUrl(url: string, route: RouteShape = {}, knownSegments: ReadonlySet<string> = new Set()): string {
  const at = url.indexOf('?')
  const path = at === -1 ? url : url.slice(0, at)
  return pathOf(path, route, knownSegments) + (at === -1 ? '' : queryOf(url.slice(at + 1), route.schema?.querystring))
}

/** Fields of an error that name where it happened and why, never what it was about. */
const SAFE_FIELDS = ['code', 'severity', 'constraint', 'table', 'column', 'schema', 'dataType', 'routine', 'status', 'statusCode',
  'syscall', 'errno', 'address', 'port'] as const

/**
 * Messages known to carry no data (the drivers' own words for a lost connection). Any other message
 * may quote a statement, its parameters, a row (`Key (email)=(…) already exists`) or a value that
 * failed to parse, so it is left out; the code, constraint and table say what happened.
 */
const SAFE_MESSAGE = /^(Connection terminated( unexpectedly| due to connection timeout)?|timeout exceeded when trying to connect|Client has encountered a connection error and is not queryable|Cannot use a pool after calling end on the pool|Query read timeout|canceling statement due to statement timeout|terminating connection due to administrator command|the database system is (shutting down|starting up|in recovery mode))$/

export type LoggedError = Record<string, unknown>

/** The stack's frames only: its first lines repeat the message. */
function framesOf(stack: unknown): string | undefined {
  if (typeof stack !== 'string') return undefined
  const frames = stack.split('\n').filter((line) => /^\s+at /.test(line))
  return frames.length > 0 ? frames.join('\n') : undefined
}

/** An error as a log line holds it: its type, its codes and its frames; causes likewise. */
export function serializeError(err: unknown, depth = 0): LoggedError {
  if (!err || typeof err !== 'object') return { type: typeof err }
  const e = err as Record<string, unknown> & { constructor?: { name?: string } }
  const out: LoggedError = { type: e.constructor?.name ?? 'Object' }
  if (typeof e.name === 'string' && e.name !== out.type) out.name = e.name
  for (const field of SAFE_FIELDS) {
    const value = e[field]
    if (typeof value === 'string' || typeof value === 'number') out[field] = typeof value === 'string' ? value.slice(0, 200) : value
  }
  // System errors (ECONNREFUSED, ETIMEDOUT...) say only which address failed.
  if (typeof e.message === 'string' && (SAFE_MESSAGE.test(e.message) || typeof e.syscall === 'string')) out.message = e.message
  const stack = framesOf(e.stack)
  if (stack) out.stack = stack
  if (depth < 4 && e.cause !== undefined) out.cause = serializeError(e.cause, depth + 1)
  if (depth < 4 && Array.isArray(e.errors)) out.errors = e.errors.slice(0, 5).map((x) => serializeError(x, depth + 1))
  return out
}

/** A short, data-free stand-in for an error's message, for log lines whose message would be it. */
export function describeError(err: unknown): string {
  const e = serializeError(err)
  return [e.name ?? e.type, e.code].filter((x) => x !== undefined).join(' ')
}
