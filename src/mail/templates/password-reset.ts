import type { MailTemplates } from '../templates.ts'
import { renderMail, whenText, type RenderedMail } from './layout.ts'

export function passwordReset(v: MailTemplates['password-reset']): RenderedMail {
  return renderMail({
    subject: 'Reset your Rapport password',
    name: v.name,
    paragraphs: ['Someone asked to reset the password of your Rapport account. If it was you, choose a new password.'],
    action: { label: 'Choose a new password', link: v.link },
    footnote: `The link works once, until ${whenText(v.expiresAt)}. If you did not ask, ignore this message: your password stays as it is.`
  })
}
