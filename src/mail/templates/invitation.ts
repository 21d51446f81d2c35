import type { MailTemplates } from '../templates.ts'
import { renderMail, whenText, type RenderedMail } from './layout.ts'

export function invitation(v: MailTemplates['invitation']): RenderedMail {
  return renderMail({
    subject: 'You are invited to Rapport',
    name: v.name,
    paragraphs: ['An account was created for you in Rapport. Choose a password to sign in.'],
    action: { label: 'Choose your password', link: v.link },
    footnote: `The link works once, until ${whenText(v.expiresAt)}. If you did not expect this invitation, ignore this message.`
  })
}
