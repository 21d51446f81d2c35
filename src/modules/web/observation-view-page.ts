import { html, type SafeHtml } from '../../lib/html.ts'
import { modalityLabel } from '../../lib/modality.ts'
import type { ObservationView } from '../observations/observations-schemas.ts'
import { csrfField, type PageContext } from './layout.ts'

const score = (v: number | null) => (v === null ? 'not scored' : v.toFixed(2))

/** The scores of an observation as a summary: per area, overall, then every criterion. */
export function scoresSummary(view: ObservationView): SafeHtml {
  return html`
  <div class="table-wrap"><table>
    <caption>Scores by skill area</caption>
    <thead><tr><th scope="col">Skill area</th><th scope="col" class="num">Score</th><th scope="col" class="num">Criteria scored</th></tr></thead>
    <tbody>${view.summary.areas.map((a) => html`<tr><th scope="row">${a.title}</th><td class="num">${score(a.score)}</td><td class="num">${a.scoredCriteria} of ${a.totalCriteria}</td></tr>`)}
      <tr><th scope="row">Overall</th><td class="num"><strong>${score(view.summary.overall)}</strong></td><td></td></tr></tbody>
  </table></div>
  <div class="table-wrap"><table>
    <caption>Every criterion</caption>
    <thead><tr><th scope="col">Criterion</th><th scope="col">Level</th><th scope="col">Evidence</th></tr></thead>
    <tbody>${view.scores.map((s) => html`<tr><th scope="row">${s.criterionTitle}</th>
      <td class="nowrap">${s.notObserved ? 'Not observed' : s.level === null ? html`<span class="muted">Not scored</span>` : `${s.levelLabel ?? ''} (${s.level})`}</td>
      <td>${s.evidence ?? html`<span class="muted">—</span>`}</td></tr>`)}</tbody>
  </table></div>`
}

export function sessionDetails(view: ObservationView, names: { trainee: string; supervisor?: string }): SafeHtml {
  return html`<dl class="summary">
    <dt>Trainee</dt><dd>${names.trainee}</dd>
    ${names.supervisor ? html`<dt>Supervisor</dt><dd>${names.supervisor}</dd>` : ''}
    <dt>Session</dt><dd>${view.sessionDate}, ${view.durationMinutes} min, ${view.setting} (${modalityLabel(view.modality)})</dd>
    <dt>Status</dt><dd>${view.status === 'draft' ? 'Draft' : view.status === 'submitted' ? 'Submitted' : 'Acknowledged by the trainee'}</dd>
  </dl>`
}

export function narrative(view: ObservationView): SafeHtml {
  const block = (title: string, text: string | null | undefined) => html`<h2>${title}</h2><p>${text ?? html`<span class="muted">Nothing recorded.</span>`}</p>`
  return html`${block('Strengths', view.strengths)}${block('Areas for growth', view.areasForGrowth)}${block('Action plan', view.actionPlan)}`
}

/** A submitted observation, read-only, with what the reader may do next. */
export function observationPage(ctx: PageContext, view: ObservationView, names: { trainee: string; supervisor?: string }): SafeHtml {
  const role = ctx.principal?.role
  const canAcknowledge = role === 'trainee' && view.status === 'submitted'
  return html`
  ${sessionDetails(view, names)}
  <p class="actions"><a class="button secondary" href="/observations/${view.id}/report.pdf">Feedback report (PDF)</a></p>
  ${scoresSummary(view)}
  ${narrative(view)}
  ${view.acknowledgedAt ? html`<h2>Acknowledgement</h2><p>Acknowledged on ${view.acknowledgedAt.slice(0, 10)}.${view.acknowledgementComment ? html` Comment: ${view.acknowledgementComment}` : ''}</p>` : ''}
  ${canAcknowledge ? html`<h2 id="acknowledge">Acknowledge this feedback</h2>
    <form method="post" action="/observations/${view.id}/acknowledge" aria-labelledby="acknowledge">${csrfField(ctx)}
      <input type="hidden" name="revision" value="${String(view.revision)}">
      <div class="field"><label for="comment">Your comment (optional)</label><textarea id="comment" name="comment" rows="3"></textarea></div>
      <div class="actions"><button type="submit">I have read this feedback</button></div>
    </form>` : ''}`
}
