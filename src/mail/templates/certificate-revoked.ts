import type { MailTemplates } from '../templates.ts'
import { renderMail, type RenderedMail } from './layout.ts'

export function certificateRevoked(v: MailTemplates['certificate-revoked']): RenderedMail {
  return renderMail({
    subject: `Your certificate for ${v.programName} was revoked`,
    name: v.name,
    paragraphs: [`Your certificate for ${v.programName} was revoked and no longer verifies. Ask your program's coordinator if you have questions.`],
    action: { label: 'See the certificate', link: v.link }
  })
}
