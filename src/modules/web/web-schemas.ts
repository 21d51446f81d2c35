import { Type } from 'typebox'

/**
 * What the web pages accept, bounded like the API's requests (the API's own schemas then check
 * the fields a form stands for, with the same pointers). Unknown query parameters are ignored.
 */
export const PageIdParams = Type.Object({ id: Type.String({ maxLength: 36 }) })

/** A form post: field names and values as the browser sends them; a repeated field is refused. */
export const FormBody = Type.Record(Type.String({ maxLength: 200 }), Type.String({ maxLength: 20_000 }), { maxProperties: 2000 })

/** `?trainee=<id>` of the new-observation form. */
export const TraineeQuery = Type.Object({ trainee: Type.Optional(Type.String({ maxLength: 36 })) })

/** The notices a page shows after a redirect (`?saved=1`, `?submitted=1` ...). */
const Flag = Type.Optional(Type.String({ maxLength: 10 }))
export const NoticeQuery = Type.Object({ saved: Flag, submitted: Flag, acknowledged: Flag, amended: Flag })
