import type { FastifyInstance, FastifyRequest } from 'fastify'
import { eq } from 'drizzle-orm'
import { supervisors, trainees } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import { etagOf } from '../../lib/etag.ts'
import { html } from '../../lib/html.ts'
import { sendPdf } from '../../plugins/render-pool.ts'
import { acknowledgeObservation, submitObservation } from '../observations/observation-lifecycle-service.ts'
import { getObservation } from '../observations/observation-read-service.ts'
import type { ObservationView } from '../observations/observations-schemas.ts'
import { getFeedbackReportData } from '../reports/feedback-report-service.ts'
import { csrfField, notice, page } from './layout.ts'
import { observationPage, scoresSummary, sessionDetails } from './observation-view-page.ts'
import { openSupervisorDraft } from './supervisor-draft.ts'
import { pageContext, requireSignIn, sendPage, sessionContext } from './web-plugin.ts'
import { FormBody, NoticeQuery, PageIdParams } from './web-schemas.ts'


/** The two names a page about an observation shows, in one statement. */
async function names(app: FastifyInstance, view: ObservationView) {
  const [row] = await app.db.select({ trainee: trainees.name, supervisor: supervisors.name })
    .from(trainees)
    .leftJoin(supervisors, eq(supervisors.id, view.supervisorId))
    .where(eq(trainees.id, view.traineeId))
  return { trainee: row?.trainee ?? '', supervisor: row?.supervisor ?? undefined }
}

/** Reviewing and submitting a draft, reading a submitted observation, acknowledging it, its PDF. */
export function observationLifecycleRoutes(app: FastifyInstance): void {
  const review = async (request: FastifyRequest, view: ObservationView, problems: string[] = []) => {
    const ctx = pageContext(request)
    return page(ctx, 'Review and submit', html`
      ${problems.length > 0 ? notice('error', `Not submitted: ${problems.join(' ')}`) : ''}
      ${sessionDetails(view, await names(app, view))}
      ${scoresSummary(view)}
      <p>Once submitted, the observation can no longer be edited: a correction becomes an amendment with a reason. The trainee can then read it.</p>
      <form method="post" action="/observations/${view.id}/submit">${csrfField(ctx)}
        <input type="hidden" name="revision" value="${String(view.revision)}">
        <div class="actions"><button type="submit">Submit observation</button><a class="button secondary" href="/observations/${view.id}/edit">Back to editing</a></div>
      </form>`)
  }

  app.get('/observations/:id/review', { schema: { hide: true, params: PageIdParams } }, async (request, reply) => {
    const draft = await openSupervisorDraft(app, request, reply)
    if (!draft) return reply
    return sendPage(reply, await review(request, draft.view))
  })

  app.post('/observations/:id/submit', { schema: { hide: true, params: PageIdParams, body: FormBody } }, async (request, reply) => {
    const session = requireSignIn(request, reply, ['supervisor'])
    if (!session) return reply
    const ctx = sessionContext(request, session.principal)
    const { id } = request.params as { id: string }
    const revision = Number((request.body as { revision?: string }).revision)
    try {
      await submitObservation(app.db, ctx, id, etagOf(id, revision))
    } catch (err) {
      if (!(err instanceof AppError) || ![409, 412, 422].includes(err.status)) throw err
      const { view } = await getObservation(app.db, ctx, id)
      if (view.status !== 'draft') return reply.redirect(`/observations/${id}`, 303)
      const why = err.status === 412 ? ['The draft was changed elsewhere meanwhile; check the summary below again.']
        : (err.errors ?? []).map((e) => `${view.scores[Number(/\/scores\/(\d+)/.exec(e.pointer)?.[1])]?.criterionTitle ?? e.pointer}: ${e.detail}.`)
      return sendPage(reply, await review(request, view, why.length > 0 ? why : [err.message]), err.status === 412 ? 409 : 422)
    }
    return reply.redirect(`/observations/${id}?submitted=1`, 303)
  })

  app.get('/observations/:id', { schema: { hide: true, params: PageIdParams, querystring: NoticeQuery } }, async (request, reply) => {
    const session = requireSignIn(request, reply, ['supervisor', 'trainee', 'coordinator', 'admin'])
    if (!session) return reply
    const { id } = request.params as { id: string }
    const { view } = await getObservation(app.db, sessionContext(request, session.principal), id)
    if (view.status === 'draft') return reply.redirect(`/observations/${id}/edit`, 303)
    const query = request.query as { submitted?: string; acknowledged?: string; amended?: string }
    const message = query.submitted ? notice('success', 'Submitted. The trainee can now read and acknowledge it.')
      : query.acknowledged ? notice('success', 'Thank you: your acknowledgement is recorded.')
        : query.amended ? notice('success', 'Amendment saved as a new revision; the trainee is asked to acknowledge it again.') : ''
    const amend = session.principal.role === 'supervisor'
      ? html`<p><a href="/observations/${id}/amend">Amend this observation</a> <span class="muted">(a correction, with a reason; every version is kept)</span></p>` : ''
    return sendPage(reply, page(pageContext(request), `Observation of ${view.sessionDate}`, html`${message}${amend}${observationPage(pageContext(request), view, await names(app, view))}`))
  })

  app.post('/observations/:id/acknowledge', { schema: { hide: true, params: PageIdParams, body: FormBody } }, async (request, reply) => {
    const session = requireSignIn(request, reply, ['trainee'])
    if (!session) return reply
    const { id } = request.params as { id: string }
    const body = request.body as { revision?: string; comment?: string }
    const comment = body.comment?.trim() ? body.comment.trim() : null
    await acknowledgeObservation(app.db, sessionContext(request, session.principal), id, etagOf(id, Number(body.revision)), { comment })
    return reply.redirect(`/observations/${id}?acknowledged=1`, 303)
  })

  app.get('/observations/:id/report.pdf', { schema: { hide: true, params: PageIdParams } }, async (request, reply) => {
    const session = requireSignIn(request, reply, ['supervisor', 'trainee', 'coordinator', 'admin'])
    if (!session) return reply
    const { id } = request.params as { id: string }
    return sendPdf(reply, app.renderPool, 'feedback', async () => {
      const data = await getFeedbackReportData(app.db, sessionContext(request, session.principal), id, new Date())
      return { data, name: `feedback-${data.sessionDate}-${data.reportId}.pdf` }
    })
  })
}
