/**
 * The one catalog of problems the API can answer with (RFC 9457). Code throws `problem(code, ...)`
 * for a specific cause, or `ERRORS.x(...)` for a kind's general one; the error plugin renders it as
 * application/problem+json. Every code and kind is listed in README.md.
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

interface Cause {
  status: number; kind: string; title: string; description: string
  /** Seconds a client should wait before retrying, sent as Retry-After on every answer of this cause (all 503s have one). */
  retryAfter?: number
}

/**
 * Every cause a client can branch on, with its `code`. The `type` (kind) stays what it was, so
 * existing clients keep working; `code` says exactly why. README.md lists this table (a test
 * holds the two together). Add a cause here and raise it with `problem(code, detail, ...)`.
 */
export const CAUSES = {
  // The kinds, each also the code of its general cause.
  'validation': { status: 400, kind: 'validation', title: 'Invalid request', description: 'wrong types, unknown fields, missing fields, malformed ids; `errors` lists each with a JSON Pointer' },
  'malformed-body': { status: 400, kind: 'malformed-body', title: 'Malformed request body', description: 'the body is not JSON, or is empty' },
  'bad-request': { status: 400, kind: 'bad-request', title: 'Bad request', description: 'the HTTP request itself is malformed' },
  'unauthorized': { status: 401, kind: 'unauthorized', title: 'Authentication required', description: 'no key, an unknown key, a revoked key' },
  'forbidden': { status: 403, kind: 'forbidden', title: 'Not allowed', description: 'not allowed for the caller' },
  'not-found': { status: 404, kind: 'not-found', title: 'Not found', description: 'no such object, or not visible to you' },
  'precondition-failed': { status: 412, kind: 'precondition-failed', title: 'Precondition failed', description: '`If-Match` is stale; `currentEtag` says the current one; nothing was changed' },
  'payload-too-large': { status: 413, kind: 'payload-too-large', title: 'Payload too large', description: 'the body is over `BODY_LIMIT_BYTES`' },
  'unsupported-media-type': { status: 415, kind: 'unsupported-media-type', title: 'Unsupported media type', description: 'the body is not `application/json`' },
  'precondition-required': { status: 428, kind: 'precondition-required', title: 'Precondition required', description: 'a change to an observation, eligibility rules, a rubric draft or a certificate without `If-Match`' },
  'rate-limited': { status: 429, kind: 'rate-limited', title: 'Too many requests', description: 'over the rate limit of the key or address; Retry-After says when to try again' },
  'header-fields-too-large': { status: 431, kind: 'header-fields-too-large', title: 'Request header fields too large', description: 'the request line and headers exceed 16 KiB' },
  'internal': { status: 500, kind: 'internal', title: 'Internal error', description: 'a bug; logged with the request id, details never sent' },
  'unavailable': { status: 503, kind: 'unavailable', title: 'Service unavailable', description: 'the database does not answer', retryAfter: 2 },
  // HTTP and framework causes.
  'bad-url': { status: 400, kind: 'bad-request', title: 'Bad request', description: 'the path is not valid percent-encoding' },
  'route-not-found': { status: 404, kind: 'not-found', title: 'Not found', description: 'no operation at this method and path' },
  'request-timeout': { status: 408, kind: 'request-timeout', title: 'Request timeout', description: 'the request was not received in time' },
  'uri-too-long': { status: 414, kind: 'uri-too-long', title: 'URI too long', description: 'a path segment (an id, a key, a code) is longer than 100 characters' },
  'shutting-down': { status: 503, kind: 'unavailable', title: 'Service unavailable', description: 'this instance is shutting down; retry (on another instance)', retryAfter: 1 },
  'database-unavailable': { status: 503, kind: 'unavailable', title: 'Service unavailable', description: 'the database cannot be reached, dropped the connection, is read-only (a failover) or no pooled connection came free in `DB_ACQUIRE_TIMEOUT_MS`; nothing was changed unless the answer says so; Retry-After says when to try again', retryAfter: 2 },
  'database-timeout': { status: 503, kind: 'unavailable', title: 'Service unavailable', description: 'a statement ran past `DB_STATEMENT_TIMEOUT_MS` and was cancelled; the change, if any, was rolled back; Retry-After says when to try again', retryAfter: 5 },
  'overloaded': { status: 503, kind: 'unavailable', title: 'Service unavailable', description: 'the instance is at its bound of requests in flight, event-loop delay or database waiters and shed the request before doing anything; Retry-After says when to try again', retryAfter: 1 },
  'render-queue-full': { status: 503, kind: 'unavailable', title: 'Service unavailable', description: 'as many PDF reports as `RENDER_QUEUE_MAX` already wait to be rendered; Retry-After says when to try again', retryAfter: 5 },
  'render-timeout': { status: 503, kind: 'unavailable', title: 'Service unavailable', description: 'the PDF did not render within `RENDER_TIMEOUT_MS` (or ran out of the worker\'s memory) and was stopped', retryAfter: 30 },
  'role-not-allowed': { status: 403, kind: 'forbidden', title: 'Not allowed', description: 'the role may never do this' },
  // Database refusals not caught earlier by a more specific check.
  'duplicate-record': { status: 409, kind: 'conflict', title: 'Conflict', description: 'a record with the same unique value already exists' },
  'reference-not-found': { status: 422, kind: 'unprocessable', title: 'Request cannot be applied', description: 'a referenced record does not exist, or is not visible to you; `errors` points at it' },
  'value-not-allowed': { status: 422, kind: 'unprocessable', title: 'Request cannot be applied', description: 'a value is outside what the database allows' },
  'record-immutable': { status: 409, kind: 'record-locked', title: 'Record is locked', description: 'the record is frozen (append-only, published, submitted or revoked) and cannot change this way' },
  'invalid-value-format': { status: 400, kind: 'validation', title: 'Invalid request', description: 'a value has the wrong format' },
  'invalid-datetime': { status: 400, kind: 'validation', title: 'Invalid request', description: 'a date or time is not valid' },
  'datetime-out-of-range': { status: 400, kind: 'validation', title: 'Invalid request', description: 'a date or time is out of range' },
  // References and periods (any resource).
  'reference-deactivated': { status: 422, kind: 'unprocessable', title: 'Request cannot be applied', description: 'a referenced record is deactivated; `errors` points at it' },
  'period-ends-before-start': { status: 422, kind: 'unprocessable', title: 'Request cannot be applied', description: 'a period would end before it starts' },
  // Rubrics.
  'rubric-key-taken': { status: 409, kind: 'conflict', title: 'Conflict', description: 'a rubric with this key already exists; add a version to it instead' },
  'rubric-draft-open': { status: 409, kind: 'conflict', title: 'Conflict', description: 'the rubric already has an open draft (`draftVersion`); change or publish it first' },
  'rubric-version-unchanged': { status: 409, kind: 'conflict', title: 'Conflict', description: 'publishing a definition identical to the published version (`publishedVersion`)' },
  'rubric-version-published': { status: 409, kind: 'record-locked', title: 'Record is locked', description: 'changing or publishing a rubric version that is already published' },
  // Observations.
  'observation-invalid': { status: 422, kind: 'unprocessable', title: 'Request cannot be applied', description: 'a level not in the rubric, a criterion not in the pinned rubric, a trainee not assigned to you; `errors` lists each' },
  'observation-incomplete': { status: 422, kind: 'unprocessable', title: 'Request cannot be applied', description: 'submitting while required criteria are not scored; `errors` lists them' },
  'observation-placement-changed': { status: 409, kind: 'conflict', title: 'Conflict', description: 'the trainee\'s assignment or program changed while the observation was recorded; send it again' },
  'observation-locked': { status: 409, kind: 'record-locked', title: 'Record is locked', description: 'editing a submitted observation as a draft; amend it instead' },
  'observation-already-submitted': { status: 409, kind: 'conflict', title: 'Conflict', description: 'submitting an observation that is already submitted or acknowledged' },
  'observation-is-draft': { status: 409, kind: 'conflict', title: 'Conflict', description: 'amending, or asking the feedback report of, an observation that is still a draft' },
  'observation-not-submitted': { status: 409, kind: 'conflict', title: 'Conflict', description: 'acknowledging an observation that is not submitted' },
  'observation-already-acknowledged': { status: 409, kind: 'conflict', title: 'Conflict', description: 'acknowledging an observation twice' },
  'amendment-empty': { status: 422, kind: 'unprocessable', title: 'Request cannot be applied', description: 'an amendment with nothing but a reason, or one that changes nothing; `errors` says so' },
  'amendment-invalid': { status: 422, kind: 'unprocessable', title: 'Request cannot be applied', description: 'an amendment that breaks a rule of the rubric or leaves the observation incomplete; `errors` lists each' },
  // Reports.
  'cohort-report-too-large': { status: 422, kind: 'unprocessable', title: 'Request cannot be applied', description: 'too many trainees for a readable cohort PDF; download the CSV or filter' },
  // Certificates.
  'certificate-not-eligible': { status: 409, kind: 'conflict', title: 'Conflict', description: 'issuing a certificate to a trainee who is not eligible; `unmet` lists the rules' },
  'certificate-already-revoked': { status: 409, kind: 'conflict', title: 'Conflict', description: 'revoking a certificate twice' },
  'certificate-revoked': { status: 409, kind: 'conflict', title: 'Conflict', description: 'printing a revoked certificate' },
  'credential-revoked': { status: 410, kind: 'gone', title: 'Gone', description: 'the signed credential of a revoked certificate is no longer served' },
  // Tenancy: which programs serve which organizations.
  'organization-not-served': { status: 422, kind: 'unprocessable', title: 'Request cannot be applied', description: 'placing a trainee in a cohort of a program that does not serve the trainee\'s organization; `errors` points at the field' },
  'supervisor-not-served': { status: 422, kind: 'unprocessable', title: 'Request cannot be applied', description: 'assigning a supervisor of an organization the trainee\'s program does not serve (for a trainee in no cohort: of another organization)' },
  'trainee-placed-elsewhere': { status: 422, kind: 'unprocessable', title: 'Request cannot be applied', description: 'a coordinator moving a trainee who is placed in a cohort of a program they do not run' },
  'program-organization-in-use': { status: 409, kind: 'conflict', title: 'Conflict', description: 'unlinking an organization while active trainees of it are placed in the program\'s cohorts; `trainees` lists them (id, name)' },
  // People, programs and assignments.
  'hr-id-taken': { status: 409, kind: 'conflict', title: 'Conflict', description: 'another trainee (or supervisor) of the organization already has this `externalHrId`; `existingId` and `existingUrl` name them' },
  'cohort-required': { status: 422, kind: 'unprocessable', title: 'Request cannot be applied', description: 'a coordinator creating a trainee without a cohort, or taking one out of every cohort' },
  // HR imports (POST /v1/organizations/{id}/people/imports).
  'import-too-large': { status: 413, kind: 'payload-too-large', title: 'Payload too large', description: 'an HR export over `IMPORT_MAX_BYTES`; nothing was read or changed' },
  'import-media-type': { status: 415, kind: 'unsupported-media-type', title: 'Unsupported media type', description: 'an HR export that is neither `text/csv` nor `application/json`' },
  'import-file-invalid': { status: 400, kind: 'validation', title: 'Invalid request', description: 'an HR export that cannot be read as a whole: not CSV, unknown, repeated or missing columns, no header, too many rows; `errors` names the line' },
  'import-rows-invalid': { status: 422, kind: 'unprocessable', title: 'Request cannot be applied', description: 'an HR export with error rows: nothing was changed; `report` is the dry run\'s report, `errors` points at each error row (`/line/<n>/<column>`)' },
  'assignment-overlap': { status: 409, kind: 'conflict', title: 'Conflict', description: 'an active assignment of the same supervisor and trainee overlaps the period; `conflictingAssignmentId` names it' },
  'rubric-unknown': { status: 422, kind: 'unprocessable', title: 'Request cannot be applied', description: 'a program pinned to a rubric key that does not exist' },
  'rubric-version-not-published': { status: 422, kind: 'unprocessable', title: 'Request cannot be applied', description: 'a program pinned to a rubric version that is a draft or does not exist' },
  // Accounts.
  'account-links-invalid': { status: 422, kind: 'unprocessable', title: 'Request cannot be applied', description: 'the links do not fit the account\'s role (missing, not allowed, unknown or outside your scope); `errors` lists each' },
  'person-has-account': { status: 409, kind: 'conflict', title: 'Conflict', description: 'the trainee or supervisor already has an account (`accountId`, also as `existingId` and `existingUrl`): one account per person' },
  'email-taken': { status: 409, kind: 'conflict', title: 'Conflict', description: 'another account already signs in with this email (case-insensitively); `existingId` and `existingUrl` name it when it is in your scope' },
  'last-admin': { status: 409, kind: 'conflict', title: 'Conflict', description: 'deactivating the last active admin account' },
  'person-deactivated': { status: 409, kind: 'conflict', title: 'Conflict', description: 'creating or reactivating the account of a trainee or supervisor whose record is deactivated; reactivate the person first' },
  'account-unlinked': { status: 409, kind: 'conflict', title: 'Conflict', description: 'reactivating an account that was unlinked as a second account of its person (migration 0006); use the person\'s other account' },
  // Identity: sign-in, passwords, API keys.
  'account-inactive': { status: 409, kind: 'conflict', title: 'Conflict', description: 'inviting, resetting the password of, or issuing a key to a deactivated account; reactivate it first' },
  'account-signs-in-with-keys': { status: 422, kind: 'unprocessable', title: 'Request cannot be applied', description: 'an invitation or password reset for an integrator account (integrations use API keys)' },
  'account-email-missing': { status: 422, kind: 'unprocessable', title: 'Request cannot be applied', description: 'an invitation or password reset for an account without an email address to sign in with' },
  'account-has-password': { status: 409, kind: 'conflict', title: 'Conflict', description: 'inviting an account that already has a password; an admin sends a password reset instead (POST /v1/accounts/{id}/password-resets)' },
  'account-has-no-password': { status: 409, kind: 'conflict', title: 'Conflict', description: 'a password reset for (or a password change by) an account that has no password yet; send an invitation instead' },
  'current-password-wrong': { status: 422, kind: 'unprocessable', title: 'Request cannot be applied', description: 'changing a password without giving the current one right' },
  'password-too-weak': { status: 422, kind: 'unprocessable', title: 'Request cannot be applied', description: 'a new password that is too short, too long, too repetitive, or contains the person\'s name or email' },
  'too-many-attempts': { status: 429, kind: 'rate-limited', title: 'Too many requests', description: 'too many wrong passwords or codes; Retry-After says when the next attempt is checked' },
  'api-key-expired': { status: 401, kind: 'unauthorized', title: 'Authentication required', description: 'the API key is past its `expiresAt`; issue a new one' },
  'api-key-read-only': { status: 403, kind: 'forbidden', title: 'Not allowed', description: 'a read-only API key used for anything but GET or HEAD' },
  'api-key-limit': { status: 409, kind: 'conflict', title: 'Conflict', description: 'issuing a key to an account that already holds the most unrevoked keys allowed; revoke one first' },
  'api-key-outlives-caller': { status: 422, kind: 'unprocessable', title: 'Request cannot be applied', description: 'a key issuing another for its own account, without an expiry or expiring later than itself' },
  'api-key-expiry-past': { status: 422, kind: 'unprocessable', title: 'Request cannot be applied', description: 'an `expiresAt` that is not in the future' },
  // Retries: Idempotency-Key.
  'idempotency-key-invalid': { status: 400, kind: 'validation', title: 'Invalid request', description: 'an `Idempotency-Key` that is not 1 to 255 printable ASCII characters (bare or as a quoted structured-field string); `errors` points at `/headers/idempotency-key`' },
  'idempotency-key-in-use': { status: 409, kind: 'conflict', title: 'Conflict', description: 'a request with this `Idempotency-Key` is still being handled; retry after it finishes (Retry-After)', retryAfter: 1 },
  'idempotency-key-reused': { status: 422, kind: 'unprocessable', title: 'Request cannot be applied', description: 'an `Idempotency-Key` already used with another method, path or body; use a new key for a new request' },
  'idempotency-secret-not-replayed': { status: 409, kind: 'conflict', title: 'Conflict', description: 'a retry of a request whose answer showed a secret (an API key, a one-time link), which is never stored; `created` names what it created (`kind`, `id`, `url`)' },
  // SCIM 2.0 (/scim/v2): rendered in SCIM's own error schema, `scimType` beside the code (src/modules/scim/scim-errors.ts).
  'scim-integrator-key-required': { status: 403, kind: 'forbidden', title: 'Not allowed', description: 'a SCIM request with a key that is not an integrator\'s; SCIM provisions one organization, named by its integrator key' },
  'scim-invalid-filter': { status: 400, kind: 'validation', title: 'Invalid request', description: 'a SCIM `filter` that does not parse, or names an attribute or operator Rapport does not filter on (`scimType` invalidFilter)' },
  'scim-invalid-value': { status: 400, kind: 'validation', title: 'Invalid request', description: 'a SCIM resource or PATCH value missing a required attribute or of the wrong type (`scimType` invalidValue)' },
  'scim-invalid-path': { status: 400, kind: 'validation', title: 'Invalid request', description: 'a SCIM PATCH `path` that names no attribute of the resource (`scimType` invalidPath)' },
  'scim-no-target': { status: 400, kind: 'validation', title: 'Invalid request', description: 'a SCIM PATCH `path` filter that matches nothing to change (`scimType` noTarget)' },
  'scim-mutability': { status: 400, kind: 'validation', title: 'Invalid request', description: 'a SCIM change of an attribute that cannot change (`id`, `meta`) (`scimType` mutability)' },
  'scim-user-name-taken': { status: 409, kind: 'conflict', title: 'Conflict', description: 'another SCIM user of the organization has this `userName` (case-insensitively) (`scimType` uniqueness)' },
  'scim-email-taken': { status: 409, kind: 'conflict', title: 'Conflict', description: 'the work email of a SCIM user is already the sign-in email of another account (`scimType` uniqueness)' },
  'scim-group-name-taken': { status: 409, kind: 'conflict', title: 'Conflict', description: 'another SCIM group of the organization has this `displayName` (case-insensitively) (`scimType` uniqueness)' },
  'scim-unknown-member': { status: 400, kind: 'validation', title: 'Invalid request', description: 'a SCIM group member whose `value` is not the id of a User of the organization; nothing is written (`scimType` invalidValue)' },
  'group-mapping-one-of': { status: 400, kind: 'validation', title: 'Invalid request', description: 'a group mapping that names neither or both of `role` and `cohortId`; a group maps to one role or one cohort' },
  // Single sign-on (PUT /v1/organizations/{id}/identity-provider).
  'issuer-not-https': { status: 422, kind: 'unprocessable', title: 'Request cannot be applied', description: 'an identity provider `issuer` that is not an https URL' },
  'issuer-unreachable': { status: 422, kind: 'unprocessable', title: 'Request cannot be applied', description: 'the issuer\'s discovery document (`/.well-known/openid-configuration`) could not be fetched; nothing was saved' },
  'issuer-not-oidc': { status: 422, kind: 'unprocessable', title: 'Request cannot be applied', description: 'the issuer answers, but not with OpenID Provider metadata for that very issuer (wrong URL, or not an OpenID Connect issuer); nothing was saved' },
  'email-domain-taken': { status: 409, kind: 'conflict', title: 'Conflict', description: 'another organization\'s identity provider already signs in this email domain; `errors` points at it' },
  // Events (GET /v1/events) and webhooks (/v1/webhook-endpoints, /v1/webhook-deliveries).
  'cursor-invalid': { status: 400, kind: 'validation', title: 'Invalid request', description: 'an events `after` cursor that is not one this service handed out; `errors` points at `/query/after`' },
  'cursor-expired': { status: 410, kind: 'gone', title: 'Gone', description: 'an events cursor older than the feed keeps (`EVENTS_RETENTION_DAYS`); start again without `after` and reconcile' },
  'event-type-unknown': { status: 400, kind: 'validation', title: 'Invalid request', description: 'an event type that is not in the catalog (`types` filter, an endpoint\'s `eventTypes`); `errors` points at it' },
  'webhook-url-not-allowed': { status: 422, kind: 'unprocessable', title: 'Request cannot be applied', description: 'a webhook URL that is not https, carries a user or password, or names a private, loopback or link-local address (allowed only with `WEBHOOK_ALLOW_PRIVATE`)' },
  'webhook-endpoint-inactive': { status: 409, kind: 'conflict', title: 'Conflict', description: 'retrying, replaying or rotating the secret of a deactivated endpoint; reactivate it first' },
  'webhook-endpoint-active': { status: 409, kind: 'conflict', title: 'Conflict', description: 'reactivating an endpoint that is active' },
  'webhook-delivery-in-flight': { status: 409, kind: 'conflict', title: 'Conflict', description: 'retrying a delivery that is being sent now; wait for its attempt to finish', retryAfter: 15 },
  'replay-range-invalid': { status: 422, kind: 'unprocessable', title: 'Request cannot be applied', description: 'a replay whose `to` is not after `from`, or that reaches past what the feed keeps' },
  'replay-too-large': { status: 422, kind: 'unprocessable', title: 'Request cannot be applied', description: 'a replay of more events than one request may queue (10,000); replay a shorter range' },
  // Organizations' settings.
  'time-zone-unknown': { status: 422, kind: 'unprocessable', title: 'Request cannot be applied', description: 'a `timeZone` that is not an IANA time zone name known to both the service and the database (e.g. `Europe/London`, `UTC`)' }
} as const satisfies Record<string, Cause>

export type CauseCode = keyof typeof CAUSES

/** The Retry-After (seconds) an answer of this problem carries: its own `retryAfter`, else its cause's. */
export function retryAfterOf(p: AppError): number | undefined {
  if (typeof p.extensions?.retryAfter === 'number') return p.extensions.retryAfter
  const cause: Cause | undefined = (CAUSES as Record<string, Cause>)[p.code]
  return cause?.retryAfter ?? (p.status === 503 ? 1 : undefined)
}

/** A refusal of one catalogued cause; `errors` points at fields, `extensions` adds members (e.g. `unmet`). */
export function problem(code: CauseCode, detail: string, o: { errors?: FieldProblem[]; extensions?: Record<string, unknown> } = {}): AppError {
  const cause: Cause = CAUSES[code]
  return new AppError(cause.status, cause.kind, cause.title, detail, o.errors, o.extensions, code)
}

/** The kinds' general causes, for refusals that need nothing more specific. */
export const ERRORS = {
  validation: (errors: FieldProblem[], detail = 'The request is not valid; see errors for each problem.') =>
    problem('validation', detail, { errors }),
  malformedBody: (detail: string) => problem('malformed-body', detail),
  unauthorized: (detail = 'Send an API key as "Authorization: Bearer <key>".') => problem('unauthorized', detail),
  forbidden: (detail = 'Your role may not perform this action.') => problem('forbidden', detail),
  notFound: (what: string, id?: string) =>
    problem('not-found', id === undefined ? `No such ${what}.` : `No ${what} with id ${id}.`),
  routeNotFound: (method: string, url: string) => problem('route-not-found', `No route for ${method} ${url}.`),
  preconditionFailed: (currentEtag: string) =>
    problem('precondition-failed', 'The record changed since you read it (If-Match does not match). Fetch it again, reapply your change and retry.',
      { extensions: { currentEtag } }),
  preconditionRequired: () =>
    problem('precondition-required', 'Send the ETag you last read as an If-Match header, so that concurrent edits are not lost.'),
  payloadTooLarge: (limit: number) => problem('payload-too-large', `The request body exceeds the limit of ${limit} bytes.`),
  unsupportedMediaType: (contentType: string) =>
    problem('unsupported-media-type', `Content type ${contentType} is not accepted; send application/json.`),
  unavailable: (detail: string) => problem('unavailable', detail),
  internal: () => problem('internal', 'An unexpected error occurred; it has been logged.')
} as const
