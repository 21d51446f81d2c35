import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { retryAfterOf, type AppError, type CauseCode } from '../../errors.ts'
import { problemOf } from '../../plugins/errors.ts'
import { SCIM_CONTENT_TYPE, URN } from './scim-schemas.ts'

/**
 * RFC 7644 §3.12: every error under /scim/v2 is SCIM's own error document, not problem+json, since
 * identity providers parse `scimType` and `status` (a string). Causes stay those of the one
 * catalog (src/errors.ts); here each is given the scimType a SCIM client branches on.
 */
const SCIM_TYPES: Partial<Record<CauseCode, string>> = {
  'scim-invalid-filter': 'invalidFilter',
  'scim-invalid-value': 'invalidValue',
  'scim-invalid-path': 'invalidPath',
  'scim-no-target': 'noTarget',
  'scim-mutability': 'mutability',
  'scim-user-name-taken': 'uniqueness',
  'scim-email-taken': 'uniqueness',
  'scim-group-name-taken': 'uniqueness',
  'scim-unknown-member': 'invalidValue',
  'group-mapping-one-of': 'invalidValue',
  'email-taken': 'uniqueness',
  'hr-id-taken': 'uniqueness',
  'duplicate-record': 'uniqueness',
  'person-has-account': 'uniqueness',
  'validation': 'invalidValue',
  'invalid-value-format': 'invalidValue',
  'value-not-allowed': 'invalidValue',
  'malformed-body': 'invalidSyntax'
}

export interface ScimError {
  schemas: string[]
  status: string
  scimType?: string
  detail: string
}

export function scimErrorBody(p: AppError): ScimError {
  const scimType = SCIM_TYPES[p.code as CauseCode]
  // Field problems (a body that failed its schema) are folded into the detail: SCIM has no member for them.
  const fields = p.errors && p.errors.length > 0 ? ` (${p.errors.map((e) => `${e.pointer}: ${e.detail}`).join('; ')})` : ''
  return { schemas: [URN.error], status: String(p.status), ...(scimType ? { scimType } : {}), detail: `${p.message}${fields}` }
}

export function sendScimError(reply: FastifyReply, p: AppError): FastifyReply {
  const retryAfter = retryAfterOf(p)
  if (retryAfter !== undefined && !reply.hasHeader('retry-after')) void reply.header('retry-after', String(retryAfter))
  return reply.code(p.status).type(SCIM_CONTENT_TYPE).send(scimErrorBody(p))
}

/**
 * A problem document that reached the /scim/v2 scope without passing its error handler (the
 * event-loop shedding's 503, sent by a hook before any route) becomes the SCIM error it stands for.
 */
export function scimErrorOfProblem(payload: string): ScimError | undefined {
  try {
    const p = JSON.parse(payload) as { status?: unknown; code?: unknown; detail?: unknown }
    if (typeof p.status !== 'number') return undefined
    const scimType = SCIM_TYPES[p.code as CauseCode]
    return { schemas: [URN.error], status: String(p.status), ...(scimType ? { scimType } : {}), detail: String(p.detail ?? '') }
  } catch {
    return undefined
  }
}

/** The error handler of the /scim/v2 scope: the same cause analysis as the rest of the API (logging, 5xx hiding), SCIM's shape. */
export function scimErrorHandler(bodyLimit: number) {
  return (err: FastifyError, request: FastifyRequest, reply: FastifyReply) => sendScimError(reply, problemOf(err, request, bodyLimit))
}
