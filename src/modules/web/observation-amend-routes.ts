import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { eq } from 'drizzle-orm'
import { trainees } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import { etagOf } from '../../lib/etag.ts'
import { toFieldProblems } from '../../plugins/errors.ts'
import { bodyValidator } from '../../plugins/validation.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import { amendObservation } from '../observations/observation-lifecycle-service.ts'
import { getObservation } from '../observations/observation-read-service.ts'
import { AmendObservationBody, type ObservationView } from '../observations/observations-schemas.ts'
import { getRubricVersionById } from '../rubrics/rubric-cache.ts'
import { notice, page } from './layout.ts'
import { scoringForm } from './observation-form.ts'
import { editsFromForm, errorsByField, formFromView, type FieldErrors, type FormValues } from './observation-form-data.ts'
import { pageContext, requireSignIn, sendPage, sessionContext } from './web-plugin.ts'
import { FormBody, PageIdParams } from './web-schemas.ts'

const validateAmend = bodyValidator(AmendObservationBody)

/** A submitted observation is corrected by an amendment with a reason: a new revision, the old one kept. */
export function observationAmendRoutes(app: FastifyInstance): void {
  const load = async (request: FastifyRequest, principal: RequestContext['principal']) => {
    const { id } = request.params as { id: string }
    const { view } = await getObservation(app.db, sessionContext(request, principal), id)
    const rubric = await getRubricVersionById(app.db, view.rubric.id)
    const [trainee] = await app.db.select({ name: trainees.name }).from(trainees).where(eq(trainees.id, view.traineeId))
    return { id, view, definition: rubric!.definition, trainee: trainee?.name ?? '' }
  }
  const show = (request: FastifyRequest, reply: FastifyReply, o: { id: string; view: ObservationView; trainee: string; definition: Awaited<ReturnType<typeof load>>['definition']; values: FormValues; errors?: FieldErrors; message?: ReturnType<typeof notice>; status?: number }) =>
    sendPage(reply, page(pageContext(request), `Amend the observation of ${o.view.sessionDate}`, scoringForm(pageContext(request), {
      action: `/observations/${o.id}/amend`, trainee: o.trainee, definition: o.definition, values: o.values, errors: o.errors ?? {},
      revision: o.view.revision, amend: true, message: o.message
    })), o.status)

  app.get('/observations/:id/amend', { schema: { hide: true, params: PageIdParams } }, async (request, reply) => {
    const session = requireSignIn(request, reply, ['supervisor'])
    if (!session) return reply
    const o = await load(request, session.principal)
    if (o.view.status === 'draft') return reply.redirect(`/observations/${o.id}/edit`, 303)
    return show(request, reply, { ...o, values: formFromView(o.view) })
  })

  app.post('/observations/:id/amend', { schema: { hide: true, params: PageIdParams, body: FormBody } }, async (request, reply) => {
    const session = requireSignIn(request, reply, ['supervisor'])
    if (!session) return reply
    const o = await load(request, session.principal)
    const form = request.body as FormValues
    const body = { reason: (form.reason ?? '').trim(), ...editsFromForm(form, o.definition) }
    const problems = validateAmend(body)
    if (problems.length > 0 || body.reason === '') {
      const errors = errorsByField(toFieldProblems(problems, 'body'), o.definition)
      if (body.reason === '') errors.reason = 'Say why the observation is being changed.'
      return show(request, reply, { ...o, values: form, errors, status: 422 })
    }
    try {
      await amendObservation(app.db, sessionContext(request, session.principal), o.id, etagOf(o.id, Number(form.revision)), body as never)
    } catch (err) {
      if (err instanceof AppError && err.status === 412) {
        return show(request, reply, { ...o, values: form, status: 409, message: notice('error', 'The observation was changed elsewhere since you opened it, so this amendment was not saved. Your changes are still below; save again to apply them to the current version.') })
      }
      if (err instanceof AppError && (err.status === 400 || err.status === 422) && err.errors?.length) {
        return show(request, reply, { ...o, values: form, errors: errorsByField(err.errors, o.definition), status: 422 })
      }
      throw err
    }
    return reply.redirect(`/observations/${o.id}?amended=1`, 303)
  })
}
