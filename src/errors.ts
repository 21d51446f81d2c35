/**
 * The one catalog of problems the API can answer with (RFC 9457). Code throws `ERRORS.x(...)`;
 * the error plugin renders it as application/problem+json. Each `type` is documented in README.md.
 */
export interface FieldProblem {
  /** JSON Pointer (RFC 6901) into the request body, or `/query/...`, `/params/...`, `/headers/...`. */
  pointer: string
  detail: string
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    /** The problem type's slug (`/problems/<kind>`): coarse and stable, what clients written so far branch on. */
    readonly kind: string,
    readonly title: string,
    detail: string,
    readonly errors?: FieldProblem[],
    readonly extensions?: Record<string, unknown>,
    /** The cause, one per reason a request is refused (`observation-already-submitted`); the kind when there is only one. */
    readonly code: string = kind
  ) {
    super(detail)
    this.name = 'AppError'
  }

  get type(): string {
    return problemType(this.kind)
  }
}

export const problemType = (kind: string): string => `/problems/${kind}`

interface Cause { status: number; kind: string; title: string; description: string }

/**
 * Every cause a client can branch on, with its `code`. The `type` (kind) stays what it was, so
 * existing clients keep working; `code` says exactly why. README.md lists this table (a test
 * holds the two together). Add a cause here and raise it with `problem(code, detail, ...)`.
 */
export const CAUSES = {
  'rate-limited': { status: 429, kind: 'rate-limited', title: 'Too many requests', description: 'over the rate limit of the key or address; Retry-After says when to try again' }
} as const satisfies Record<string, Cause>

export type CauseCode = keyof typeof CAUSES

/** A refusal of one catalogued cause; `errors` points at fields, `extensions` adds members (e.g. `unmet`). */
export function problem(code: CauseCode, detail: string, o: { errors?: FieldProblem[]; extensions?: Record<string, unknown> } = {}): AppError {
  const cause: Cause = CAUSES[code]
  return new AppError(cause.status, cause.kind, cause.title, detail, o.errors, o.extensions, code)
}

export const ERRORS = {
  validation: (errors: FieldProblem[], detail = 'The request is not valid; see errors for each problem.') =>
    new AppError(400, 'validation', 'Invalid request', detail, errors),
  malformedBody: (detail: string) => new AppError(400, 'malformed-body', 'Malformed request body', detail),
  unauthorized: (detail = 'Send an API key as "Authorization: Bearer <key>".') =>
    new AppError(401, 'unauthorized', 'Authentication required', detail),
  forbidden: (detail = 'Your role may not perform this action.') =>
    new AppError(403, 'forbidden', 'Not allowed', detail),
  notFound: (what: string, id?: string) =>
    new AppError(404, 'not-found', 'Not found', id === undefined ? `No such ${what}.` : `No ${what} with id ${id}.`),
  routeNotFound: (method: string, url: string) =>
    new AppError(404, 'not-found', 'Not found', `No route for ${method} ${url}.`),
  conflict: (detail: string, extensions?: Record<string, unknown>) =>
    new AppError(409, 'conflict', 'Conflict', detail, undefined, extensions),
  locked: (detail: string) => new AppError(409, 'record-locked', 'Record is locked', detail),
  preconditionFailed: (currentEtag: string) =>
    new AppError(412, 'precondition-failed', 'Precondition failed',
      'The record changed since you read it (If-Match does not match). Fetch it again, reapply your change and retry.',
      undefined, { currentEtag }),
  preconditionRequired: () =>
    new AppError(428, 'precondition-required', 'Precondition required',
      'Send the ETag you last read as an If-Match header, so that concurrent edits are not lost.'),
  payloadTooLarge: (limit: number) =>
    new AppError(413, 'payload-too-large', 'Payload too large', `The request body exceeds the limit of ${limit} bytes.`),
  unsupportedMediaType: (contentType: string) =>
    new AppError(415, 'unsupported-media-type', 'Unsupported media type', `Content type ${contentType} is not accepted; send application/json.`),
  unprocessable: (detail: string, errors?: FieldProblem[]) =>
    new AppError(422, 'unprocessable', 'Request cannot be applied', detail, errors),
  unavailable: (detail: string) => new AppError(503, 'unavailable', 'Service unavailable', detail),
  internal: () => new AppError(500, 'internal', 'Internal error', 'An unexpected error occurred; it has been logged.')
} as const
