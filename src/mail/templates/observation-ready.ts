import type { MailTemplates } from '../templates.ts'
import { renderMail, type RenderedMail } from './layout.ts'

/** Only that an observation exists and where to read it: its content stays behind sign-in. */
export function observationReady(v: MailTemplates['observation-ready']): RenderedMail {
  return renderMail({
    subject: 'A new observation is ready to read',
    name: v.name,
    paragraphs: [`${v.supervisorName} submitted an observation of your work. Sign in to read and acknowledge it.`],
    action: { label: 'Read the observation', link: v.link }
  })
}
