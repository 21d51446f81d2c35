import { randomBytes } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { html } from '../../lib/html.ts'
import { csrfField, notice, page } from './layout.ts'
import { acceptLink, findLink, type LinkPurpose } from '../identity/links-service.ts'
import { endSession, SESSION_COOKIE } from '../identity/sessions.ts'
import { signIn, type Started } from '../identity/sign-in-service.ts'
import { ssoRequiredFor } from '../sso/sso-required.ts'
import { forgotPasswordRoutes } from './forgot-password-routes.ts'
import { NEW_PASSWORD_HINT, passwordField, waitMessage } from './identity-views.ts'
import { pageContext, PRE_SESSION_COOKIE, sendPage, type WebOptions } from './web-plugin.ts'

export const HOME: Record<string, string> = { supervisor: '/my/trainees', trainee: '/my/observations', coordinator: '/cohorts', admin: '/cohorts' }
/** Only a path on this site: never an open redirect. */
export const localPath = (next: unknown) => (typeof next === 'string' && /^\/(?!\/)[^\s\\]*$/.test(next) ? next : '/')

/** The cookie of a new session (or of a sign-in waiting for its second factor), and where to go next. */
export function sendStarted(reply: FastifyReply, started: Started, next: string, cookieOptions: Record<string, unknown>): FastifyReply {
  void reply.setCookie(SESSION_COOKIE, started.token, cookieOptions)
  if (started.pending) return reply.redirect(`/sign-in/${started.pending === 'enrol' ? 'enrol' : 'code'}?next=${encodeURIComponent(next)}`, 303)
  void reply.clearCookie(PRE_SESSION_COOKIE, { path: '/' })
  return reply.redirect(next, 303)
}

const LINKS: Array<{ path: string; purpose: LinkPurpose; title: string; button: string }> = [
  { path: '/invitations/:token', purpose: 'invitation', title: 'Set your password', button: 'Set password and sign in' },
  { path: '/password-resets/:token', purpose: 'password-reset', title: 'Choose a new password', button: 'Set the new password and sign in' }
]

const SignInBody = Type.Object({ email: Type.String({ maxLength: 320 }), password: Type.String({ maxLength: 1000 }), next: Type.Optional(Type.String({ maxLength: 2000 })), _csrf: Type.Optional(Type.String({ maxLength: 200 })) })
const PasswordBody = Type.Object({ password: Type.String({ maxLength: 1000 }), confirm: Type.String({ maxLength: 1000 }), _csrf: Type.Optional(Type.String({ maxLength: 200 })) })

export function authRoutes(app: FastifyInstance, o: WebOptions): void {
  const cookieOptions = { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: o.secureCookies }

  /** Forms shown before sign-in carry a token paired with a cookie (double submit). */
  const preSessionToken = (request: FastifyRequest, reply: FastifyReply): string => {
    const existing = request.cookies[PRE_SESSION_COOKIE]
    if (existing) return existing
    const token = randomBytes(24).toString('base64url')
    void reply.setCookie(PRE_SESSION_COOKIE, token, cookieOptions)
    request.cookies[PRE_SESSION_COOKIE] = token
    return token
  }

  const signInPage = (request: FastifyRequest, reply: FastifyReply, o: { email?: string; next?: string; error?: string; status?: number; sso?: { id: string; displayName: string } }) => {
    preSessionToken(request, reply)
    const ctx = pageContext(request)
    const invalid = html` aria-invalid="true" aria-describedby="signin-error"`
    return sendPage(reply, page(ctx, 'Sign in', html`
      ${o.error ? notice('error', o.error, 'signin-error') : ''}
      ${o.sso ? html`<p><a class="button" href="/sign-in/sso/${o.sso.id}?next=${encodeURIComponent(o.next ?? '/')}">Sign in with ${o.sso.displayName}</a></p>` : ''}
      <form method="post" action="/sign-in" novalidate>
        ${csrfField(ctx)}
        <input type="hidden" name="next" value="${o.next ?? '/'}">
        <div class="field"><label for="email">Email</label>
          <input id="email" name="email" type="email" autocomplete="username" required value="${o.email ?? ''}"${o.error ? invalid : ''}></div>
        <div class="field"><label for="password">Password</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required${o.error ? invalid : ''}></div>
        <div class="actions"><button type="submit">Sign in</button></div>
      </form>
      <p><a href="/sign-in/sso?next=${encodeURIComponent(o.next ?? '/')}">Sign in with your organization (single sign-on)</a></p>
      <p><a href="/forgot-password">Forgot your password?</a></p>
      <p class="muted">No password yet? Your coordinator sends you a link to set one.</p>`), o.status)
  }

  forgotPasswordRoutes(app, preSessionToken)

  app.get('/', { schema: { hide: true } }, async (request, reply) =>
    reply.redirect(request.webSession ? HOME[request.webSession.principal.role] ?? '/sign-in' : '/sign-in', 303))

  app.get('/sign-in', { schema: { hide: true, querystring: Type.Object({ next: Type.Optional(Type.String({ maxLength: 2000 })) }) } }, async (request, reply) => {
    const next = localPath((request.query as { next?: string }).next)
    if (request.webSession) return reply.redirect(next === '/' ? HOME[request.webSession.principal.role] ?? '/' : next, 303)
    return signInPage(request, reply, { next })
  })

  app.post('/sign-in', { schema: { hide: true, body: SignInBody } }, async (request, reply) => {
    const body = request.body as { email: string; password: string; next?: string }
    const next = localPath(body.next)
    const result = await signIn(app.db, app.identity, { email: body.email, password: body.password, address: request.ip }, new Date(), request.id)
    if (!result.ok && result.reason === 'sso-required') {
      const error = `Your organization signs you in with ${result.provider.displayName}, not with a password here.`
      return signInPage(request, reply, { email: body.email, next, error, status: 403, sso: result.provider })
    }
    if (!result.ok) {
      const error = result.reason === 'wait' ? waitMessage(result.seconds) : 'That email and password do not match an account. Check both and try again.'
      if (result.reason === 'wait') void reply.header('retry-after', String(result.seconds))
      return signInPage(request, reply, { email: body.email, next, error, status: result.reason === 'wait' ? 429 : 401 })
    }
    return sendStarted(reply, result, next, cookieOptions)
  })

  app.post('/sign-out', { schema: { hide: true } }, async (request, reply) => {
    if (request.webSession) await endSession(app.db, request.webSession.tokenHash)
    void reply.clearCookie(SESSION_COOKIE, { path: '/' })
    return reply.redirect('/sign-in', 303)
  })

  const passwordPage = (request: FastifyRequest, reply: FastifyReply, link: (typeof LINKS)[number], who: { name: string; email: string | null }, errors: { password?: string; confirm?: string } = {}, status = 200) => {
    preSessionToken(request, reply)
    const ctx = pageContext(request)
    return sendPage(reply, page(ctx, link.title, html`
      <p>Welcome, ${who.name}. Choose the password you will sign in with${who.email ? html` as <strong>${who.email}</strong>` : ''}.</p>
      <form method="post" novalidate>
        ${csrfField(ctx)}
        ${passwordField('password', 'New password', { autocomplete: 'new-password', hint: NEW_PASSWORD_HINT, error: errors.password })}
        ${passwordField('confirm', 'The same password again', { autocomplete: 'new-password', error: errors.confirm })}
        <div class="actions"><button type="submit">${link.button}</button></div>
      </form>`), status)
  }

  /** A person whose organization requires single sign-on needs no password: the link says so. */
  const ssoInstead = async (request: FastifyRequest, reply: FastifyReply, accountId: string, status: number) => {
    const sso = await ssoRequiredFor(app.db, accountId)
    if (!sso) return undefined
    return sendPage(reply, page(pageContext(request), 'Sign in with your organization', html`
      <p>Your organization signs you in with <strong>${sso.displayName}</strong> (single sign-on): you do not need a Rapport password.</p>
      <p><a class="button" href="/sign-in/sso/${sso.id}">Sign in with ${sso.displayName}</a></p>`), status)
  }

  const expired = (request: FastifyRequest, reply: FastifyReply) => sendPage(reply, page(pageContext(request), 'Link no longer valid', html`
    <p>This link has expired or was already used. Ask your coordinator (or an administrator) for a new one.</p>`), 410)

  // One-time links: an invitation (first password) and an admin's password reset.
  for (const link of LINKS) {
    const params = Type.Object({ token: Type.String({ maxLength: 100 }) })
    app.get(link.path, { schema: { hide: true, params } }, async (request, reply) => {
      const found = await findLink(app.db, link.purpose, (request.params as { token: string }).token, new Date())
      if (!found) return expired(request, reply)
      return (await ssoInstead(request, reply, found.accountId, 200)) ?? passwordPage(request, reply, link, found)
    })

    app.post(link.path, { schema: { hide: true, params, body: PasswordBody } }, async (request, reply) => {
      const { token } = request.params as { token: string }
      const body = request.body as { password: string; confirm: string }
      const found = await findLink(app.db, link.purpose, token, new Date())
      if (!found) return expired(request, reply)
      const sso = await ssoInstead(request, reply, found.accountId, 403)
      if (sso) return sso
      const result = await acceptLink(app.db, app.identity, link.purpose, token, { ...body, address: request.ip }, new Date(), request.id)
      if (!result.ok) {
        if (result.field === 'token') return expired(request, reply)
        return passwordPage(request, reply, link, found, { [result.field]: result.message }, 422)
      }
      return sendStarted(reply, result, '/', cookieOptions)
    })
  }
}
