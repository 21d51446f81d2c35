import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { AppError, ERRORS, problem, retryAfterOf, type FieldProblem } from '../errors.ts'
import { databaseFailure } from '../db/failures.ts'

interface AjvIssue {
  instancePath: string
  schemaPath?: string
  keyword: string
  message?: string
  params: Record<string, unknown>
}

const BRANCH = /^(.*\/anyOf)\/(\d+)\//

/**
 * A tagged union (rules with a `kind`) fails in every branch at once; only the branch whose tag
 * matched says what is wrong. Branches that failed on a constant (their tag) are dropped when
 * another branch got further; when every branch failed on its tag, one issue names the tags allowed.
 */
function pruneTaggedBranches(issues: AjvIssue[]): AjvIssue[] {
  const unions = new Map<string, Map<string, AjvIssue[]>>()
  for (const issue of issues) {
    const m = BRANCH.exec(issue.schemaPath ?? '')
    if (!m) continue
    const union = unions.get(m[1]!) ?? new Map<string, AjvIssue[]>()
    union.set(m[2]!, [...(union.get(m[2]!) ?? []), issue])
    unions.set(m[1]!, union)
  }
  let out = issues
  for (const [at, branches] of unions) {
    const tagged = [...branches.values()].filter((list) => list.some((i) => i.keyword === 'const'))
    if (tagged.length === 0) continue
    const inUnion = (i: AjvIssue) => (i.schemaPath ?? '').startsWith(`${at}/`) || (i.keyword === 'anyOf' && `${i.schemaPath}` === at)
    const survivors = [...branches.values()].filter((list) => !list.some((i) => i.keyword === 'const')).flat()
    if (survivors.length > 0) {
      out = out.filter((i) => !inUnion(i) || survivors.includes(i))
    } else {
      const consts = tagged.flat().filter((i) => i.keyword === 'const')
      const allowed = consts.map((i) => String(i.params.allowedValue))
      const first = consts[0]!
      out = [...out.filter((i) => !inUnion(i)), { ...first, keyword: 'enum', schemaPath: at, params: { allowedValues: allowed } }]
    }
  }
  return out
}

const PART_PREFIX: Record<string, string> = { body: '', querystring: '/query', params: '/params', headers: '/headers' }

/**
 * Turns schema-validation output into one `{ pointer, detail }` per failing value, in plain words.
 * A value that fails every branch of a union (say, "a date or null") gets one entry naming them all.
 */
export function toFieldProblems(issues: AjvIssue[], part: string): FieldProblem[] {
  const byPointer = new Map<string, string[]>()
  for (const { pointer, detail } of pruneTaggedBranches(issues).map((issue) => describe(issue, part))) {
    const details = byPointer.get(pointer) ?? []
    if (!details.includes(detail)) details.push(detail)
    byPointer.set(pointer, details)
  }
  return [...byPointer].map(([pointer, details]) => {
    const specific = details.filter((d) => d !== ANY_OF)
    return { pointer, detail: (specific.length > 0 ? specific : details).join(' or ') }
  })
}

const ANY_OF = 'must match a schema in anyOf'

function describe(issue: AjvIssue, part: string): FieldProblem {
  const prefix = PART_PREFIX[part] ?? `/${part}`
  {
    let pointer = `${prefix}${issue.instancePath}`
    let detail = issue.message ?? 'is invalid'
    if (issue.keyword === 'required') {
      pointer += `/${String(issue.params.missingProperty)}`
      detail = 'is required'
    } else if (issue.keyword === 'additionalProperties') {
      pointer += `/${String(issue.params.additionalProperty)}`
      detail = 'is not a known field'
    } else if (issue.keyword === 'enum' && Array.isArray(issue.params.allowedValues)) {
      detail = `must be one of: ${issue.params.allowedValues.join(', ')}`
    }
    return { pointer: pointer || '/', detail }
  }
}

/**
 * Unique constraints a service checks first (naming the holder), met here only when two requests
 * race past that check: the same cause, without a holder to name.
 */
const UNIQUE_CAUSES: Record<string, () => AppError> = {
  trainees_org_external_hr_id: () => problem('hr-id-taken', 'Another trainee of this organization already has this externalHrId.',
    { errors: [{ pointer: '/externalHrId', detail: 'is taken in this organization' }] }),
  supervisors_org_external_hr_id: () => problem('hr-id-taken', 'Another supervisor of this organization already has this externalHrId.',
    { errors: [{ pointer: '/externalHrId', detail: 'is taken in this organization' }] }),
  accounts_email_unique: () => problem('email-taken', 'Another account already signs in with this email; an email belongs to one account.',
    { errors: [{ pointer: '/email', detail: 'is taken by another account' }] })
}

/** Postgres SQLSTATEs a request can cause, each the cause it stands for (a bug for any other). */
const PG_ERRORS: Record<string, (detail: string) => AppError> = {
  '23505': (d) => UNIQUE_CAUSES[d]?.() ?? problem('duplicate-record', `A record with the same unique value already exists (${d}).`),
  '23503': () => problem('reference-not-found', 'A referenced record does not exist.'),
  '23514': (d) => problem('value-not-allowed', `A value is outside what is allowed (${d}).`),
  '23001': (d) => problem('record-immutable', d),
  '22P02': () => problem('invalid-value-format', 'A value has the wrong format.', { errors: [] }),
  '22007': () => problem('invalid-datetime', 'A date or time is not valid.', { errors: [] }),
  '22008': () => problem('datetime-out-of-range', 'A date or time is out of range.', { errors: [] })
}

/** Database errors reach us wrapped by the ORM; the driver's error is the `cause`. */
function fromDatabase(err: unknown): AppError | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && PG_ERRORS[code]) {
      const pgErr = e as { constraint?: string; message?: string }
      return PG_ERRORS[code](pgErr.constraint ?? pgErr.message ?? code)
    }
  }
  return undefined
}

/** The database is down, unreachable, failing over or too slow: a 503 with Retry-After, counted by class. */
function fromOutage(err: unknown, request: FastifyRequest): AppError | undefined {
  const failure = databaseFailure(err)
  if (!failure) return undefined
  request.server.metrics.databaseErrors.inc({ class: failure.class })
  return problem(failure.code, failure.detail)
}

function fromFastify(err: FastifyError): AppError | undefined {
  if (err.validation) return ERRORS.validation(toFieldProblems(err.validation as AjvIssue[], err.validationContext ?? 'body'))
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': return undefined
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': return undefined
    case 'FST_ERR_CTP_EMPTY_JSON_BODY': return ERRORS.malformedBody('The body is empty; send a JSON object.')
    case 'FST_ERR_CTP_INVALID_JSON_BODY': return ERRORS.malformedBody(`The body is not valid JSON: ${err.message}`)
  }
  if (err instanceof SyntaxError) return ERRORS.malformedBody(`The body is not valid JSON: ${err.message}`)
  return undefined
}

/** The problem document (RFC 9457); `instance` is the request's path, when there is one to name. */
export function problemBody(problem: AppError, instance?: string): Record<string, unknown> {
  return {
    type: problem.type,
    code: problem.code,
    title: problem.title,
    status: problem.status,
    detail: problem.message,
    ...(instance === undefined ? {} : { instance }),
    ...(problem.errors ? { errors: problem.errors } : {}),
    ...problem.extensions
  }
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: AppError): FastifyReply {
  const retryAfter = retryAfterOf(problem)
  if (retryAfter !== undefined && !reply.hasHeader('retry-after')) void reply.header('retry-after', String(retryAfter))
  return reply.code(problem.status).type('application/problem+json').send(problemBody(problem, request.url))
}

/** Any error as the problem it stands for; unexpected ones are logged and become a bare 500. */
export function problemOf(err: FastifyError, request: FastifyRequest, bodyLimit: number): AppError {
  let problem: AppError | undefined = err instanceof AppError ? err : fromFastify(err) ?? fromDatabase(err) ?? fromOutage(err, request)
  if (!problem && err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') problem = ERRORS.payloadTooLarge(bodyLimit)
  if (!problem && err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') problem = ERRORS.unsupportedMediaType(String(request.headers['content-type']))
  if (!problem && typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    problem = new AppError(err.statusCode, 'bad-request', 'Bad request', err.message)
  }
  if (!problem) {
    request.log.error({ err }, 'unhandled error')
    return ERRORS.internal()
  }
  // An outage, shedding or a drain is the service's state, not a bug: a warning with its code (and
  // the driver's error, through the safe serializer), not an error line with the refusal's own stack.
  if (problem.kind === 'unavailable') request.log.warn(err instanceof AppError ? { code: problem.code } : { code: problem.code, err }, problem.title)
  else if (problem.status >= 500) request.log.error({ err }, problem.title)
  return problem
}

export default fp(async function errorsPlugin(app: FastifyInstance, opts: { bodyLimit: number }) {
  app.setNotFoundHandler((request, reply) => sendProblem(request, reply, ERRORS.routeNotFound(request.method, request.url)))
  app.setErrorHandler((err: FastifyError, request, reply) => sendProblem(request, reply, problemOf(err, request, opts.bodyLimit)))
}, { name: 'errors' })
