import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { html } from '../../lib/html.ts'
import { findPendingSession, SESSION_COOKIE } from '../identity/sessions.ts'
import { completeEnrolment, completeSecondFactor } from '../identity/sign-in-service.ts'
import { startEnrolment } from '../identity/two-factor-service.ts'
import { HOME, localPath } from './auth-routes.ts'
import { codeField, enrolForm, recoveryCodesView, waitMessage } from './identity-views.ts'
import { csrfField, notice, page } from './layout.ts'
import { pageContext, PRE_SESSION_COOKIE, sendPage, type WebOptions } from './web-plugin.ts'

/**
 * The second step of signing in, for a session still pending: the code from the authenticator app
 * (or a recovery code), or, where the role requires two-factor and it is not set up yet, setting
 * it up. Until that step is done the session reaches no other page.
 */
const Next = Type.Object({ next: Type.Optional(Type.String({ maxLength: 2000 })) })
const CodeBody = Type.Object({ code: Type.String({ maxLength: 100 }), _csrf: Type.Optional(Type.String({ maxLength: 200 })) })

export function signInCodeRoutes(app: FastifyInstance, o: WebOptions): void {
  const cookieOptions = { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: o.secureCookies }

  const pending = async (request: FastifyRequest, step: 'second-factor' | 'enrol') => {
    const token = request.cookies[SESSION_COOKIE]
    const found = token ? await findPendingSession(app.db, token, new Date()) : undefined
    return found?.step === step ? found : undefined
  }
  const startAgain = (reply: FastifyReply) => reply.redirect('/sign-in', 303)
  const nextOf = (request: FastifyRequest) => localPath((request.query as { next?: string }).next)
  const signedIn = (reply: FastifyReply, token: string) => void reply.setCookie(SESSION_COOKIE, token, cookieOptions).clearCookie(PRE_SESSION_COOKIE, { path: '/' })

  const codePage = (request: FastifyRequest, reply: FastifyReply, error?: string, status = 200) => {
    const ctx = pageContext(request)
    return sendPage(reply, page(ctx, 'Two-factor sign-in', html`
      ${error ? notice('error', error) : ''}
      <form method="post" novalidate>
        ${csrfField(ctx)}
        ${codeField({ recovery: true })}
        <div class="actions"><button type="submit">Sign in</button></div>
      </form>
      <p class="muted">Lost your phone and your recovery codes? An administrator can remove your second factor.</p>`), status)
  }

  app.get('/sign-in/code', { schema: { hide: true, querystring: Next } }, async (request, reply) =>
    (await pending(request, 'second-factor')) ? codePage(request, reply) : startAgain(reply))

  app.post('/sign-in/code', { schema: { hide: true, querystring: Next, body: CodeBody } }, async (request, reply) => {
    const session = await pending(request, 'second-factor')
    if (!session) return startAgain(reply)
    const result = await completeSecondFactor(app.db, app.identity, session, (request.body as { code: string }).code, request.ip, new Date(), request.id)
    if (!result.ok) {
      if (result.reason === 'wait') void reply.header('retry-after', String(result.seconds))
      return codePage(request, reply, result.reason === 'wait' ? waitMessage(result.seconds) : 'That code is not right (or was already used). Try the code the app shows now.', result.reason === 'wait' ? 429 : 401)
    }
    signedIn(reply, result.token)
    const next = nextOf(request)
    return reply.redirect(next === '/' ? HOME[session.role] ?? '/' : next, 303)
  })

  const enrolPage = async (request: FastifyRequest, reply: FastifyReply, account: { accountId: string }, error?: string, status = 200) => {
    const setup = await startEnrolment(app.db, app.identity, account.accountId)
    if (!setup) return startAgain(reply)
    const ctx = pageContext(request)
    return sendPage(reply, page(ctx, 'Set up two-factor sign-in', html`
      ${error ? notice('error', error) : ''}
      <p>Your role needs a second factor: besides your password, a code from an app on your phone. Set it up once; afterwards you type the app's code when you sign in.</p>
      ${enrolForm(ctx, request.url, setup)}`), status)
  }

  app.get('/sign-in/enrol', { schema: { hide: true, querystring: Next } }, async (request, reply) => {
    const session = await pending(request, 'enrol')
    return session ? enrolPage(request, reply, session) : startAgain(reply)
  })

  app.post('/sign-in/enrol', { schema: { hide: true, querystring: Next, body: CodeBody } }, async (request, reply) => {
    const session = await pending(request, 'enrol')
    if (!session) return startAgain(reply)
    const result = await completeEnrolment(app.db, app.identity, session, (request.body as { code: string }).code, request.ip, new Date(), request.id)
    if (!result.ok) {
      if (result.reason === 'wait') void reply.header('retry-after', String(result.seconds))
      return enrolPage(request, reply, session, result.reason === 'wait' ? waitMessage(result.seconds) : 'That code is not right. Type the code the app shows now.', result.reason === 'wait' ? 429 : 422)
    }
    signedIn(reply, result.token)
    const next = nextOf(request)
    return sendPage(reply, page({ principal: null, csrfToken: null }, 'Two-factor sign-in is on', html`
      ${notice('success', 'Two-factor sign-in is on, and you are signed in.')}
      ${recoveryCodesView(result.recoveryCodes, { href: next === '/' ? HOME[session.role] ?? '/' : next, label: 'Continue' })}`))
  })
}
