import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { html } from '../../lib/html.ts'
import { KEPT_PAGE_SIZE, listKeptMail, readKeptMail } from '../../mail/kept-mail.ts'
import { pagePolicy, WEB_CSP } from '../../plugins/security-headers.ts'
import { MAIL_READERS } from '../access/policy.ts'
import { page } from './layout.ts'
import { pageContext, requireSignIn, sendPage, sessionContext } from './web-plugin.ts'
import { PageIdParams } from './web-schemas.ts'

const PageQuery = Type.Object({ page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })) })
/**
 * A srcdoc frame inherits its page's CSP, and mail styles itself with style attributes only (mail
 * clients drop stylesheets): those, and no other inline style or script, are allowed on this page.
 */
const MESSAGE_PAGE_POLICY = pagePolicy({ ...WEB_CSP, 'style-src-attr': ["'unsafe-inline'"] }, 'same-origin')
const when = (d: Date) => d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC'

/**
 * Mail kept in the database because no SMTP_URL is set: admins read it here, so a fresh clone can
 * still hand out invitations. A message's HTML is shown in a sandboxed frame (no script, no
 * same-origin access), its text as text.
 */
export function adminMailRoutes(app: FastifyInstance): void {
  app.get('/admin/mail', { schema: { hide: true, querystring: PageQuery } }, async (request, reply) => {
    if (!requireSignIn(request, reply, [...MAIL_READERS])) return reply
    const at = (request.query as { page?: number }).page ?? 1
    const { items, total } = await listKeptMail(app.db, at)
    const pages = Math.max(1, Math.ceil(total / KEPT_PAGE_SIZE))
    const body = html`
      <p>Messages kept because no SMTP server is configured (<code>SMTP_URL</code>), newest first; they are deleted after 7 days.</p>
      ${items.length === 0 ? html`<p>No kept messages.</p>` : html`<div class="table-wrap"><table>
        <thead><tr><th scope="col">Queued</th><th scope="col">To</th><th scope="col">Subject</th><th scope="col">Template</th></tr></thead>
        <tbody>${items.map((m) => html`<tr><th scope="row"><a href="/admin/mail/${m.id}">${when(m.createdAt)}</a></th><td>${m.to}</td><td>${m.subject ?? ''}</td><td>${m.template}</td></tr>`)}</tbody>
      </table></div>`}
      <nav aria-label="Pages"><p>Page ${at} of ${pages}
        ${at > 1 ? html` · <a href="/admin/mail?page=${at - 1}" rel="prev">Newer</a>` : ''}
        ${at < pages ? html` · <a href="/admin/mail?page=${at + 1}" rel="next">Older</a>` : ''}</p></nav>`
    return sendPage(reply, page(pageContext(request, '/admin/mail'), 'Kept mail', body))
  })

  app.get('/admin/mail/:id', { schema: { hide: true, params: PageIdParams } }, async (request, reply) => {
    const session = requireSignIn(request, reply, [...MAIL_READERS])
    if (!session) return reply
    const message = await readKeptMail(app.db, sessionContext(request, session.principal), (request.params as { id: string }).id)
    reply.helmet(MESSAGE_PAGE_POLICY)
    if (!message) return sendPage(reply, page(pageContext(request), 'Not found', html`<p>No kept message with this id (it may have been deleted after 7 days).</p><p><a href="/admin/mail">Kept mail</a></p>`), 404)
    const body = html`
      <dl><dt>To</dt><dd>${message.toAddress}</dd><dt>Queued</dt><dd>${when(message.createdAt)}</dd><dt>Template</dt><dd>${message.template}</dd></dl>
      <h2>Text</h2>
      <pre class="mail-text">${message.textBody ?? ''}</pre>
      <h2>HTML</h2>
      <iframe class="mail-html" title="The message as HTML" sandbox="" referrerpolicy="no-referrer" srcdoc="${message.htmlBody ?? ''}"></iframe>
      <p><a href="/admin/mail">Back to kept mail</a></p>`
    return sendPage(reply, page(pageContext(request, '/admin/mail'), message.subject ?? '(no subject)', body))
  })
}
