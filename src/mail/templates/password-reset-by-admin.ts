import type { MailTemplates } from '../templates.ts'
import { renderMail, whenText, type RenderedMail } from './layout.ts'

export function passwordResetByAdmin(v: MailTemplates['password-reset-by-admin']): RenderedMail {
  return renderMail({
    subject: 'An administrator reset your Rapport password',
    name: v.name,
    paragraphs: ['An administrator of Rapport started a password reset for your account. Choose a new password to sign in again.'],
    action: { label: 'Choose a new password', link: v.link },
    footnote: `The link works once, until ${whenText(v.expiresAt)}. If you did not expect this, tell your administrator.`
  })
}
