import type { MailTemplates } from '../templates.ts'
import { renderMail, type RenderedMail } from './layout.ts'

const observations = (n: number) => n === 1 ? '1 observation' : `${n} observations`

export function acknowledgeReminder(v: MailTemplates['acknowledge-reminder']): RenderedMail {
  return renderMail({
    subject: `${observations(v.count)} waiting for your acknowledgement`,
    name: v.name,
    paragraphs: [`${observations(v.count)} submitted ${v.days} or more days ago ${v.count === 1 ? 'waits' : 'wait'} for you to read and acknowledge.`],
    action: { label: 'See your observations', link: v.link },
    footnote: 'You can turn reminders off on your account page.'
  })
}
