import { Ajv, type Options } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifyRequest, FastifySchemaCompiler } from 'fastify'
import { ERRORS, type FieldProblem } from '../errors.ts'

const common: Options = {
  allErrors: true,
  useDefaults: true,
  removeAdditional: false,
  strict: false,
  addUsedSchema: false
}

function makeAjv(coerceTypes: Options['coerceTypes']): Ajv {
  const ajv = new Ajv({ ...common, coerceTypes })
  addFormats.default(ajv)
  return ajv
}

/**
 * Bodies are validated strictly (a string is not silently taken for a number, unknown fields are
 * refused). Query strings, path parameters and headers are text by nature and are coerced.
 */
export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = makeAjv(false)
  const coercing = makeAjv('array')
  return ({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? strict : coercing
    return ajv.compile(schema as object)
  }
}

/**
 * A body validator for a schema, as routes validate bodies; for the web pages, which turn a form
 * into the API's body and need the same checks with the same pointers.
 */
export function bodyValidator(schema: object): (body: unknown) => Array<{ instancePath: string; keyword: string; message?: string; params: Record<string, unknown>; schemaPath?: string }> {
  const validate = makeAjv(false).compile(schema)
  return (body) => (validate(body) ? [] : [...(validate.errors ?? [])])
}

/** NUL, which Postgres text and jsonb cannot hold, and UTF-16 halves without their pair, which would be stored as U+FFFD. */
// eslint-disable-next-line no-control-regex -- finding the control character U+0000 is the point
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

const escapePointer = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1')

/**
 * The first text in a parsed request part (any depth, keys included) that Postgres cannot store
 * faithfully, as a problem at its pointer. Iterative, so a deeply nested body cannot exhaust the stack.
 */
export function unstorableText(value: unknown, prefix: string): FieldProblem | undefined {
  const stack: Array<[unknown, string]> = [[value, prefix]]
  while (stack.length > 0) {
    const [v, pointer] = stack.pop()!
    if (typeof v === 'string') {
      if (UNSTORABLE.test(v)) return { pointer: pointer || '/', detail: 'must not contain NUL (U+0000) or unpaired UTF-16 surrogates' }
    } else if (v !== null && typeof v === 'object') {
      for (const [key, inner] of Object.entries(v)) {
        const at = `${pointer}/${escapePointer(key)}`
        if (UNSTORABLE.test(key)) return { pointer: at, detail: 'the name must not contain NUL (U+0000) or unpaired UTF-16 surrogates' }
        stack.push([inner, at])
      }
    }
  }
  return undefined
}

/**
 * preValidation hook for every route, JSON and form bodies alike: text that cannot be stored is a
 * 400 naming the field, before any schema or query sees it (a NUL would otherwise reach Postgres
 * and fail there as a 500).
 */
export async function refuseUnstorableText(request: FastifyRequest): Promise<void> {
  const found = unstorableText(request.params, '/params') ?? unstorableText(request.query, '/query') ?? unstorableText(request.body, '')
  if (found) throw ERRORS.validation([found], `The value at ${found.pointer} ${found.detail}.`)
}
