import type { FastifyInstance } from 'fastify'
import { and, asc, eq } from 'drizzle-orm'
import { cohorts, programs } from '../../db/schema/index.ts'
import { html } from '../../lib/html.ts'
import { sendPdf } from '../../plugins/render-pool.ts'
import { cohortScope } from '../access/policy.ts'
import { listSubmittedSessions } from '../observations/observation-summaries.ts'
import { attachmentDisposition, CSV_CONTENT_TYPE } from '../../lib/csv.ts'
import { cohortCsvFileName, cohortCsvStream } from '../reports/cohort-report-csv.ts'
import { getCohortReportData } from '../reports/cohort-report-pdf-service.ts'
import { openCohortReport } from '../reports/cohort-report-service.ts'
import { getProgressReportData } from '../reports/progress-report-service.ts'
import { ELIGIBILITY_LABEL } from '../../lib/eligibility-labels.ts'
import { page } from './layout.ts'
import { pageContext, requireSignIn, sendPage, sessionContext } from './web-plugin.ts'
import { PageIdParams } from './web-schemas.ts'

const score = (v: number | null) => (v === null ? '—' : v.toFixed(2))

/** The trainee's observations, and the coordinator's cohorts with their trainees and reports. */
export function peopleRoutes(app: FastifyInstance): void {
  app.get('/my/observations', { schema: { hide: true } }, async (request, reply) => {
    const session = requireSignIn(request, reply, ['trainee'])
    if (!session) return reply
    const rows = await listSubmittedSessions(app.db, sessionContext(request, session.principal))
    const body = rows.length === 0 ? html`<p>No observation has been submitted for you yet.</p>` : html`<div class="table-wrap"><table>
      <thead><tr><th scope="col">Session</th><th scope="col">Supervisor</th><th scope="col">Setting</th><th scope="col">Status</th></tr></thead>
      <tbody>${rows.map((r) => html`<tr><th scope="row"><a href="/observations/${r.id}">${r.sessionDate}</a></th><td>${r.supervisor}</td><td>${r.setting}</td>
        <td>${r.status === 'submitted' ? html`<strong>To acknowledge</strong>` : 'Acknowledged'}</td></tr>`)}</tbody></table></div>`
    return sendPage(reply, page(pageContext(request, '/my/observations'), 'My observations', body))
  })

  app.get('/cohorts', { schema: { hide: true } }, async (request, reply) => {
    const session = requireSignIn(request, reply, ['coordinator', 'admin'])
    if (!session) return reply
    const rows = await app.db.select({ id: cohorts.id, name: cohorts.name, program: programs.name, startsOn: cohorts.startsOn })
      .from(cohorts).innerJoin(programs, eq(programs.id, cohorts.programId))
      .where(and(cohortScope(session.principal), eq(cohorts.active, true))).orderBy(asc(programs.name), asc(cohorts.name))
    const body = rows.length === 0 ? html`<p>You have no cohorts yet.</p>` : html`<ul>${rows.map((c) => html`<li><a href="/cohorts/${c.id}">${c.name}</a> <span class="muted">${c.program}${c.startsOn ? `, from ${c.startsOn}` : ''}</span></li>`)}</ul>`
    return sendPage(reply, page(pageContext(request, '/cohorts'), 'Cohorts', body))
  })

  app.get('/cohorts/:id', { schema: { hide: true, params: PageIdParams } }, async (request, reply) => {
    const session = requireSignIn(request, reply, ['coordinator', 'admin'])
    if (!session) return reply
    const { id } = request.params as { id: string }
    const report = await openCohortReport(app.db, sessionContext(request, session.principal), id, { inactiveDays: 30 })
    const rows = []
    for await (const r of report.rows()) rows.push(r)
    const body = html`
      <p class="actions">
        <a class="button secondary" href="/cohorts/${id}/report.pdf">Cohort report (PDF)</a>
        <a class="button secondary" href="/cohorts/${id}/report.csv">Cohort report (CSV)</a>
      </p>
      <div class="table-wrap"><table>
        <caption>${rows.length} trainees; scores from each trainee's latest observation</caption>
        <thead><tr><th scope="col">Trainee</th><th scope="col" class="num">Observations</th>
          ${report.areas.map((a) => html`<th scope="col" class="num">${a.title}</th>`)}
          <th scope="col">Certificate</th><th scope="col">Progress</th></tr></thead>
        <tbody>${rows.map((r) => html`<tr><th scope="row">${r.name}${r.inactive ? html`<br><span class="muted">No observation in 30 days</span>` : ''}</th>
          <td class="num">${r.observations}</td>${r.areaScores.map((s) => html`<td class="num">${score(s)}</td>`)}
          <td>${r.eligibility ? ELIGIBILITY_LABEL[r.eligibility] : html`<span class="muted">No rules</span>`}</td>
          <td><a href="/trainees/${r.traineeId}/progress.pdf">PDF<span class="visually-hidden"> progress report of ${r.name}</span></a></td></tr>`)}</tbody>
      </table></div>`
    return sendPage(reply, page(pageContext(request, '/cohorts'), `Cohort ${report.cohort.name}`, body))
  })

  // The reports behind the links above: the same services as the API, with the session's access.
  app.get('/cohorts/:id/report.pdf', { schema: { hide: true, params: PageIdParams } }, async (request, reply) => {
    const session = requireSignIn(request, reply, ['coordinator', 'admin'])
    if (!session) return reply
    return sendPdf(reply, app.renderPool, 'cohort', async () => {
      const data = await getCohortReportData(app.db, sessionContext(request, session.principal), (request.params as { id: string }).id, { inactiveDays: 30 }, new Date())
      return { data, name: `cohort-${data.cohort}-${data.asOf}.pdf`, download: true }
    })
  })

  app.get('/cohorts/:id/report.csv', { schema: { hide: true, params: PageIdParams } }, async (request, reply) => {
    const session = requireSignIn(request, reply, ['coordinator', 'admin'])
    if (!session) return reply
    const report = await openCohortReport(app.db, sessionContext(request, session.principal), (request.params as { id: string }).id, { inactiveDays: 30 })
    return reply.type(CSV_CONTENT_TYPE).header('content-disposition', attachmentDisposition(cohortCsvFileName(report)))
      .header('cache-control', 'no-store').send(cohortCsvStream(report))
  })

  app.get('/trainees/:id/progress.pdf', { schema: { hide: true, params: PageIdParams } }, async (request, reply) => {
    const session = requireSignIn(request, reply, ['coordinator', 'admin', 'supervisor', 'trainee'])
    if (!session) return reply
    return sendPdf(reply, app.renderPool, 'progress', async () => {
      const data = await getProgressReportData(app.db, sessionContext(request, session.principal), (request.params as { id: string }).id, {}, new Date())
      return { data, name: `progress-${data.reportId}.pdf` }
    })
  })
}
