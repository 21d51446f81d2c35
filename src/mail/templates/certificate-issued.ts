import type { MailTemplates } from '../templates.ts'
import { renderMail, type RenderedMail } from './layout.ts'

export function certificateIssued(v: MailTemplates['certificate-issued']): RenderedMail {
  return renderMail({
    subject: `Your certificate for ${v.programName}`,
    name: v.name,
    paragraphs: [`A certificate was issued to you for ${v.programName}.`],
    action: { label: 'See the certificate', link: v.link }
  })
}
