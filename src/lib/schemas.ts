import { Type, type TSchema } from 'typebox'

export const Uuid = Type.String({ format: 'uuid', maxLength: 36 })
export const DateOnly = Type.String({ format: 'date', maxLength: 10, description: 'Calendar date, YYYY-MM-DD.' })
export const DateTime = Type.String({ format: 'date-time', maxLength: 40 })
/** A 32-bit count or index in an answer (a bound the OpenAPI document states; far above anything real). */
export const Count = (o: { minimum?: number; maximum?: number; description?: string } = {}) => Type.Integer({ format: 'int32', minimum: 0, maximum: 2_147_483_647, ...o })
/** Text the service writes itself (a title, a message), bounded so clients may size their storage. */
export const Label = (o: { maxLength?: number; description?: string } = {}) => Type.String({ maxLength: 1000, ...o })
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

export const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false })

export const FieldProblemSchema = Type.Object({
  pointer: Type.String({ maxLength: 2000, description: 'JSON Pointer to the offending value.' }),
  detail: Type.String({ maxLength: 2000 })
})

/** RFC 9457 problem details, as every error response carries. */
export const ProblemSchema = Type.Object({
  type: Type.String({ maxLength: 200, format: 'uri-reference' }),
  code: Type.String({ maxLength: 100, pattern: '^[a-z0-9-]+$', description: 'The cause, stable per reason (see the README\'s list of problem codes), e.g. observation-already-submitted.' }),
  title: Type.String({ maxLength: 200 }),
  status: Type.Integer({ format: 'int32', minimum: 400, maximum: 599 }),
  detail: Type.String({ maxLength: 10_000 }),
  instance: Type.String({ maxLength: 70_000, description: 'The request\'s path and query.' }),
  errors: Type.Optional(Type.Array(FieldProblemSchema, { maxItems: 1000 }))
}, { $id: 'Problem', additionalProperties: true })

export const PageQuery = {
  limit: Type.Integer({ format: 'int32', minimum: 1, maximum: 200, default: 50 }),
  cursor: Type.Optional(Type.String({ maxLength: 200, description: 'Opaque cursor from a previous page\'s nextCursor.' }))
}

export const Page = <T extends TSchema>(item: T) => Type.Object({
  items: Type.Array(item, { maxItems: 200 }),
  nextCursor: Nullable(Type.String({ maxLength: 400, description: 'Pass as cursor for the next page; null on the last page.' }))
})
