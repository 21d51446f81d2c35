import type { MailTemplates } from '../templates.ts'
import { renderMail, type RenderedMail } from './layout.ts'

const WHY: Record<MailTemplates['endpoint-disabled']['reason'], string> = {
  gone: 'it answered 410 Gone',
  failing: 'its deliveries failed continuously for 5 days'
}

export function endpointDisabled(v: MailTemplates['endpoint-disabled']): RenderedMail {
  return renderMail({
    subject: 'A Rapport webhook endpoint was deactivated',
    name: v.name,
    paragraphs: [`Rapport deactivated your webhook endpoint ${v.url} because ${WHY[v.reason]}. No more events are sent to it until you reactivate it.`],
    action: { label: 'See the endpoint', link: v.link }
  })
}
