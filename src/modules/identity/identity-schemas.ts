import { Type, type Static } from 'typebox'
import { DateTime } from '../../lib/schemas.ts'
import { PASSWORD_MAX_LENGTH } from './passwords.ts'

export const LinkSchema = Type.Object({
  url: Type.String({ format: 'uri', maxLength: 2000, description: 'Send it to the person yourself; it works once.' }),
  expiresAt: DateTime
})

export const ChangePasswordBody = Type.Object({
  currentPassword: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH }),
  newPassword: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH, description: 'At least 12 characters, not containing your name or email.' })
}, { additionalProperties: false })

export const SessionsEndedSchema = Type.Object({
  sessionsEnded: Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'How many web sessions were ended.' })
})

export type ChangePassword = Static<typeof ChangePasswordBody>
