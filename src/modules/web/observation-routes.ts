import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { and, eq } from 'drizzle-orm'
import { cohorts, programs, trainees } from '../../db/schema/index.ts'
import { AppError, type FieldProblem } from '../../errors.ts'
import { etagOf } from '../../lib/etag.ts'
import { html } from '../../lib/html.ts'
import { toFieldProblems } from '../../plugins/errors.ts'
import { bodyValidator } from '../../plugins/validation.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import { traineeScope } from '../access/policy.ts'
import { CreateObservationBody, UpdateObservationBody } from '../observations/observations-schemas.ts'
import { createObservation, updateDraft } from '../observations/observations-service.ts'
import { getRubricVersionById } from '../rubrics/rubric-cache.ts'
import type { RubricDefinition } from '../rubrics/rubric-schemas.ts'
import { notice, page } from './layout.ts'
import { scoringForm } from './observation-form.ts'
import { editsFromForm, errorsByField, formFromView, type FieldErrors, type FormValues } from './observation-form-data.ts'
import { openSupervisorDraft } from './supervisor-draft.ts'
import { pageContext, requireSignIn, sendPage, sessionContext } from './web-plugin.ts'
import { FormBody, NoticeQuery, PageIdParams, TraineeQuery } from './web-schemas.ts'

const validateCreate = bodyValidator(CreateObservationBody)
const validateUpdate = bodyValidator(UpdateObservationBody)

/** The trainee (if assigned to this supervisor now) and the rubric their program pins. */
async function traineeForScoring(app: FastifyInstance, ctx: RequestContext, traineeId: string) {
  if (!/^[0-9a-f-]{36}$/i.test(traineeId)) return undefined
  const [row] = await app.db.select({ name: trainees.name, rubricVersionId: programs.rubricVersionId }).from(trainees)
    .innerJoin(cohorts, eq(cohorts.id, trainees.cohortId)).innerJoin(programs, eq(programs.id, cohorts.programId))
    .where(and(eq(trainees.id, traineeId), traineeScope(ctx.principal)))
  const rubric = row && await getRubricVersionById(app.db, row.rubricVersionId)
  return row && rubric ? { name: row.name, definition: rubric.definition } : undefined
}

/** Validation as the API does it (schema, then the service's rules), as errors per form field. */
function problemsOf(err: unknown): FieldProblem[] | undefined {
  if (err instanceof AppError && (err.status === 400 || err.status === 422)) return err.errors?.length ? err.errors : [{ pointer: '/', detail: err.message }]
  return undefined
}

const pickScores = <T extends { level?: number | null; notObserved?: boolean; evidence: string | null }>(scores: T[]) =>
  scores.filter((s) => s.notObserved || (s.level !== null && s.level !== undefined))

/** An autosave that cannot be stored yet (a required session detail is missing or wrong). */
const notSaved = (reply: FastifyReply) => reply.code(422).send({ saved: false, message: 'Not saved automatically yet: some details need attention. Use Save draft to see which.' })

export function observationRoutes(app: FastifyInstance): void {
  const showForm = (request: FastifyRequest, reply: FastifyReply, o: {
    title: string; action: string; trainee: string; definition: RubricDefinition; values: FormValues; errors?: FieldErrors; revision?: number; message?: ReturnType<typeof notice>; status?: number
  }) => sendPage(reply, page(pageContext(request), o.title, scoringForm(pageContext(request), {
    action: o.action, trainee: o.trainee, definition: o.definition, values: o.values, errors: o.errors ?? {}, revision: o.revision, message: o.message
  }), { script: true }), o.status)

  app.get('/observations/new', { schema: { hide: true, querystring: TraineeQuery } }, async (request, reply) => {
    const session = requireSignIn(request, reply, ['supervisor'])
    if (!session) return reply
    const traineeId = (request.query as { trainee?: string }).trainee ?? ''
    const found = await traineeForScoring(app, sessionContext(request, session.principal), traineeId)
    if (!found) return sendPage(reply, page(pageContext(request), 'Trainee not found', html`<p>This trainee is not assigned to you.</p><p><a href="/my/trainees">Back to my trainees</a></p>`), 404)
    return showForm(request, reply, {
      title: `New observation of ${found.name}`, action: `/observations/new?trainee=${traineeId}`, trainee: found.name, definition: found.definition,
      values: { sessionDate: new Date().toISOString().slice(0, 10) }
    })
  })

  app.post('/observations/new', { schema: { hide: true, querystring: TraineeQuery, body: FormBody } }, async (request, reply) => {
    const session = requireSignIn(request, reply, ['supervisor'])
    if (!session) return reply
    const ctx = sessionContext(request, session.principal)
    const traineeId = (request.query as { trainee?: string }).trainee ?? ''
    const found = await traineeForScoring(app, ctx, traineeId)
    if (!found) return sendPage(reply, page(pageContext(request), 'Trainee not found', html`<p>This trainee is not assigned to you.</p>`), 404)
    const form = request.body as FormValues
    const edits = editsFromForm(form, found.definition)
    const body = { traineeId, ...edits, scores: pickScores(edits.scores) }
    const again = (errors: FieldErrors) => showForm(request, reply, {
      title: `New observation of ${found.name}`, action: `/observations/new?trainee=${traineeId}`, trainee: found.name, definition: found.definition, values: form, errors, status: 422
    })
    const autosave = form.action === 'autosave'
    const schemaProblems = validateCreate(body)
    if (schemaProblems.length > 0) {
      return autosave ? notSaved(reply) : again(errorsByField(toFieldProblems(schemaProblems, 'body'), found.definition))
    }
    try {
      const { view } = await createObservation(app.db, ctx, body as never)
      if (autosave) return reply.send({ saved: true, revision: view.revision, editUrl: `/observations/${view.id}/edit` })
      return reply.redirect(form.action === 'review' ? `/observations/${view.id}/review` : `/observations/${view.id}/edit?saved=1`, 303)
    } catch (err) {
      const problems = problemsOf(err)
      if (!problems) throw err
      return autosave ? notSaved(reply) : again(errorsByField(problems, found.definition))
    }
  })

  app.get('/observations/:id/edit', { schema: { hide: true, params: PageIdParams, querystring: NoticeQuery } }, async (request, reply) => {
    const draft = await openSupervisorDraft(app, request, reply)
    if (!draft) return reply
    const { ctx, id, view } = draft
    const found = await traineeForScoring(app, ctx, view.traineeId)
    const rubric = await getRubricVersionById(app.db, view.rubric.id)
    if (!found || !rubric) return sendPage(reply, page(pageContext(request), 'Not found', html`<p>This draft is not yours to edit.</p>`), 404)
    const saved = (request.query as { saved?: string }).saved === '1'
    return showForm(request, reply, {
      title: `Observation of ${found.name}`, action: `/observations/${id}/edit`, trainee: found.name, definition: rubric.definition,
      values: formFromView(view), revision: view.revision, message: saved ? notice('success', 'Draft saved.') : undefined
    })
  })

  app.post('/observations/:id/edit', { schema: { hide: true, params: PageIdParams, body: FormBody } }, async (request, reply) => {
    const draft = await openSupervisorDraft(app, request, reply)
    if (!draft) return reply
    const { ctx, id, view } = draft
    const rubric = await getRubricVersionById(app.db, view.rubric.id)
    const found = await traineeForScoring(app, ctx, view.traineeId)
    if (!rubric || !found) return sendPage(reply, page(pageContext(request), 'Not found', html`<p>This draft is not yours to edit.</p>`), 404)
    const form = request.body as FormValues
    const revision = Number(form.revision)
    const again = (o: { errors?: FieldErrors; message?: ReturnType<typeof notice>; status: number }) => showForm(request, reply, {
      title: `Observation of ${found.name}`, action: `/observations/${id}/edit`, trainee: found.name, definition: rubric.definition,
      values: form, revision: o.status === 409 ? view.revision : revision, errors: o.errors, message: o.message, status: o.status
    })
    const body = editsFromForm(form, rubric.definition)
    const autosave = form.action === 'autosave'
    const schemaProblems = validateUpdate(body)
    if (schemaProblems.length > 0) {
      return autosave ? notSaved(reply) : again({ errors: errorsByField(toFieldProblems(schemaProblems, 'body'), rubric.definition), status: 422 })
    }
    try {
      const { view: saved } = await updateDraft(app.db, ctx, id, etagOf(id, revision), body as never)
      if (autosave) return reply.send({ saved: true, revision: saved.revision })
    } catch (err) {
      if (autosave && err instanceof AppError && err.status === 412) {
        return reply.code(409).send({ saved: false, message: 'This draft was changed elsewhere (another tab or device), so automatic saving has stopped. Your changes are still on this page: use Save draft to compare and keep them.' })
      }
      if (autosave && problemsOf(err)) return notSaved(reply)
      if (err instanceof AppError && err.status === 412) {
        // Someone saved in between: nothing is overwritten; what this person typed stays on the page.
        return again({
          status: 409,
          message: notice('error', 'This draft was changed elsewhere (another tab or device) since you opened it, so your changes were not saved. They are still below: open the draft in a new tab to compare, then save again here to keep yours.')
        })
      }
      const problems = problemsOf(err)
      if (!problems) throw err
      return again({ errors: errorsByField(problems, rubric.definition), status: 422 })
    }
    return reply.redirect(form.action === 'review' ? `/observations/${id}/review` : `/observations/${id}/edit?saved=1`, 303)
  })
}
