import { Ajv, type Options } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'

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
