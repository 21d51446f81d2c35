import { Type, type TSchema } from 'typebox'

export const Uuid = Type.String({ format: 'uuid' })
export const DateOnly = Type.String({ format: 'date', description: 'Calendar date, YYYY-MM-DD.' })
export const DateTime = Type.String({ format: 'date-time' })
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

export const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false })

export const FieldProblemSchema = Type.Object({
  pointer: Type.String({ description: 'JSON Pointer to the offending value.' }),
  detail: Type.String()
})

/** RFC 9457 problem details, as every error response carries. */
export const ProblemSchema = Type.Object({
  type: Type.String(),
  code: Type.String({ description: 'The cause, stable per reason (see the README\'s list of problem codes), e.g. observation-already-submitted.' }),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  instance: Type.String(),
  errors: Type.Optional(Type.Array(FieldProblemSchema))
}, { $id: 'Problem', additionalProperties: true })

export const PageQuery = {
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  cursor: Type.Optional(Type.String({ maxLength: 200, description: 'Opaque cursor from a previous page\'s nextCursor.' }))
}

export const Page = <T extends TSchema>(item: T) => Type.Object({
  items: Type.Array(item),
  nextCursor: Nullable(Type.String({ description: 'Pass as cursor for the next page; null on the last page.' }))
})
