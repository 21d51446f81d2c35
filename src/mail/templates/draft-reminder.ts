import type { MailTemplates } from '../templates.ts'
import { renderMail, type RenderedMail } from './layout.ts'

const drafts = (n: number) => n === 1 ? '1 draft observation' : `${n} draft observations`

export function draftReminder(v: MailTemplates['draft-reminder']): RenderedMail {
  return renderMail({
    subject: `${drafts(v.count)} still open`,
    name: v.name,
    paragraphs: [`${drafts(v.count)} of yours ${v.count === 1 ? 'has' : 'have'} been open for ${v.days} or more days. Submit or discard ${v.count === 1 ? 'it' : 'them'} so your trainees get their feedback.`],
    action: { label: 'See your trainees', link: v.link },
    footnote: 'You can turn reminders off on your account page.'
  })
}
