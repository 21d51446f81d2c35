import type { MailRequest, MailTemplate, MailTemplates } from '../templates.ts'
import { acknowledgeReminder } from './acknowledge-reminder.ts'
import { certificateIssued } from './certificate-issued.ts'
import { certificateRevoked } from './certificate-revoked.ts'
import { draftReminder } from './draft-reminder.ts'
import { endpointDisabled } from './endpoint-disabled.ts'
import { invitation } from './invitation.ts'
import type { RenderedMail } from './layout.ts'
import { observationReady } from './observation-ready.ts'
import { passwordResetByAdmin } from './password-reset-by-admin.ts'
import { passwordReset } from './password-reset.ts'

export type { RenderedMail } from './layout.ts'

/** One function per template; the mapped type makes a missing or mistyped template a compile error. */
export const TEMPLATES: { [T in MailTemplate]: (vars: MailTemplates[T]) => RenderedMail } = {
  'invitation': invitation,
  'password-reset': passwordReset,
  'password-reset-by-admin': passwordResetByAdmin,
  'observation-ready': observationReady,
  'acknowledge-reminder': acknowledgeReminder,
  'draft-reminder': draftReminder,
  'certificate-issued': certificateIssued,
  'certificate-revoked': certificateRevoked,
  'endpoint-disabled': endpointDisabled
}

export function renderTemplate(message: MailRequest): RenderedMail {
  // The union is correlated by `template`; TypeScript cannot follow it through the index, so say it once here.
  const render = TEMPLATES[message.template] as (vars: MailRequest['vars']) => RenderedMail
  return render(message.vars)
}
