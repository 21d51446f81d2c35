import type { FastifyInstance } from 'fastify'
import { html } from '../../lib/html.ts'
import { page } from './layout.ts'
import { myTrainees } from './supervisor-repository.ts'
import { pageContext, requireSignIn, sendPage } from './web-plugin.ts'

/** The supervisor's pages: their trainees, and scoring sessions (observation-pages.ts). */
export function supervisorRoutes(app: FastifyInstance): void {
  app.get('/my/trainees', { schema: { hide: true } }, async (request, reply) => {
    const session = requireSignIn(request, reply, ['supervisor'])
    if (!session) return reply
    const list = await myTrainees(app.db, session.principal)
    // The action sits beside the name, so a phone shows it without scrolling the table sideways.
    const body = list.length === 0
      ? html`<p>No trainee is assigned to you at the moment. Your coordinator assigns trainees to supervisors.</p>`
      : html`<div class="table-wrap"><table>
          <caption class="muted">${list.length} trainee${list.length === 1 ? '' : 's'} assigned to you</caption>
          <thead><tr><th scope="col">Trainee</th><th scope="col"><span class="visually-hidden">Actions</span></th><th scope="col">Last session you observed</th><th scope="col">Drafts in progress</th><th scope="col">Program</th></tr></thead>
          <tbody>${list.map((t) => html`<tr>
            <th scope="row">${t.name}${t.discipline ? html`<br><span class="muted">${t.discipline}</span>` : ''}</th>
            <td><a class="button secondary" href="/observations/new?trainee=${t.id}">New observation<span class="visually-hidden"> of ${t.name}</span></a></td>
            <td>${t.lastSessionDate ?? html`<span class="muted">None yet</span>`}</td>
            <td>${t.drafts.length === 0 ? html`<span class="muted">None</span>` : html`<ul class="plain">${t.drafts.map((d) => html`<li><a href="/observations/${d.id}/edit">Draft of ${d.sessionDate}</a></li>`)}</ul>`}</td>
            <td>${t.program ?? '—'}${t.cohort ? html`<br><span class="muted">${t.cohort}</span>` : ''}</td>
          </tr>`)}</tbody></table></div>`
    return sendPage(reply, page(pageContext(request, '/my/trainees'), 'My trainees', body))
  })
}
