import { randomBytes } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { html } from '../../lib/html.ts'
import { csrfField, fieldError, notice, page } from './layout.ts'
import { acceptInvitation, findInvitation, signIn } from './auth-service.ts'
import { endSession, SESSION_COOKIE } from './sessions.ts'
import { pageContext, PRE_SESSION_COOKIE, sendPage, type WebOptions } from './web-plugin.ts'

const HOME: Record<string, string> = { supervisor: '/my/trainees', trainee: '/my/observations', coordinator: '/cohorts', admin: '/cohorts' }
/** Only a path on this site: never an open redirect. */
const localPath = (next: unknown) => (typeof next === 'string' && /^\/(?!\/)[^\s\\]*$/.test(next) ? next : '/')

const SignInBody = Type.Object({ email: Type.String({ maxLength: 320 }), password: Type.String({ maxLength: 1000 }), next: Type.Optional(Type.String()), _csrf: Type.Optional(Type.String()) })
const PasswordBody = Type.Object({ password: Type.String({ maxLength: 1000 }), confirm: Type.String({ maxLength: 1000 }), _csrf: Type.Optional(Type.String()) })

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

  const signInPage = (request: FastifyRequest, reply: FastifyReply, o: { email?: string; next?: string; error?: string; status?: number }) => {
    preSessionToken(request, reply)
    const ctx = pageContext(request)
    const invalid = html` aria-invalid="true" aria-describedby="signin-error"`
    return sendPage(reply, page(ctx, 'Sign in', html`
      ${o.error ? notice('error', o.error, 'signin-error') : ''}
      <form method="post" action="/sign-in" novalidate>
        ${csrfField(ctx)}
        <input type="hidden" name="next" value="${o.next ?? '/'}">
        <div class="field"><label for="email">Email</label>
          <input id="email" name="email" type="email" autocomplete="username" required value="${o.email ?? ''}"${o.error ? invalid : ''}></div>
        <div class="field"><label for="password">Password</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required${o.error ? invalid : ''}></div>
        <div class="actions"><button type="submit">Sign in</button></div>
      </form>
      <p class="muted">No password yet? Your coordinator sends you a link to set one.</p>`), o.status)
  }

  app.get('/', { schema: { hide: true } }, async (request, reply) =>
    reply.redirect(request.webSession ? HOME[request.webSession.principal.role] ?? '/sign-in' : '/sign-in', 303))

  app.get('/sign-in', { schema: { hide: true, querystring: Type.Object({ next: Type.Optional(Type.String()) }) } }, async (request, reply) => {
    const next = localPath((request.query as { next?: string }).next)
    if (request.webSession) return reply.redirect(next === '/' ? HOME[request.webSession.principal.role] ?? '/' : next, 303)
    return signInPage(request, reply, { next })
  })

  app.post('/sign-in', { schema: { hide: true, body: SignInBody } }, async (request, reply) => {
    const body = request.body as { email: string; password: string; next?: string }
    const next = localPath(body.next)
    const result = await signIn(app.db, body.email, body.password, new Date(), request.id)
    if (!result.ok) {
      const error = result.reason === 'wait'
        ? `Too many attempts for this email. Wait ${result.seconds} second${result.seconds === 1 ? '' : 's'}, then try again.`
        : 'That email and password do not match an account. Check both and try again.'
      return signInPage(request, reply, { email: body.email, next, error, status: result.reason === 'wait' ? 429 : 401 })
    }
    void reply.setCookie(SESSION_COOKIE, result.token, cookieOptions).clearCookie(PRE_SESSION_COOKIE, { path: '/' })
    return reply.redirect(next, 303)
  })

  app.post('/sign-out', { schema: { hide: true } }, async (request, reply) => {
    if (request.webSession) await endSession(app.db, request.webSession.tokenHash)
    void reply.clearCookie(SESSION_COOKIE, { path: '/' })
    return reply.redirect('/sign-in', 303)
  })

  const passwordPage = (request: FastifyRequest, reply: FastifyReply, who: { name: string; email: string | null }, errors: { password?: string; confirm?: string } = {}, status = 200) => {
    preSessionToken(request, reply)
    const ctx = pageContext(request)
    return sendPage(reply, page(ctx, 'Set your password', html`
      <p>Welcome, ${who.name}. Choose the password you will sign in with${who.email ? html` as <strong>${who.email}</strong>` : ''}.</p>
      <form method="post" novalidate>
        ${csrfField(ctx)}
        <div class="field"><label for="password">New password</label>
          <p class="hint" id="password-hint">At least 12 characters; a short sentence is easy to remember and hard to guess.</p>
          <input id="password" name="password" type="password" autocomplete="new-password" required minlength="12"
            aria-describedby="password-hint${errors.password ? ' password-error' : ''}"${errors.password ? html` aria-invalid="true"` : ''}>
          ${fieldError('password', errors.password)}</div>
        <div class="field"><label for="confirm">The same password again</label>
          <input id="confirm" name="confirm" type="password" autocomplete="new-password" required${errors.confirm ? html` aria-invalid="true" aria-describedby="confirm-error"` : ''}>
          ${fieldError('confirm', errors.confirm)}</div>
        <div class="actions"><button type="submit">Set password and sign in</button></div>
      </form>`), status)
  }

  const expired = (request: FastifyRequest, reply: FastifyReply) => sendPage(reply, page(pageContext(request), 'Link no longer valid', html`
    <p>This link has expired or was already used. Ask your coordinator for a new one.</p>`), 410)

  app.get('/invitations/:token', { schema: { hide: true, params: Type.Object({ token: Type.String({ maxLength: 100 }) }) } }, async (request, reply) => {
    const invitation = await findInvitation(app.db, (request.params as { token: string }).token, new Date())
    return invitation ? passwordPage(request, reply, invitation) : expired(request, reply)
  })

  app.post('/invitations/:token', { schema: { hide: true, params: Type.Object({ token: Type.String({ maxLength: 100 }) }), body: PasswordBody } }, async (request, reply) => {
    const { token } = request.params as { token: string }
    const body = request.body as { password: string; confirm: string }
    const invitation = await findInvitation(app.db, token, new Date())
    if (!invitation) return expired(request, reply)
    const result = await acceptInvitation(app.db, token, body.password, body.confirm, new Date(), request.id)
    if (!result.ok) {
      if (result.field === 'token') return expired(request, reply)
      return passwordPage(request, reply, invitation, { [result.field]: result.message }, 422)
    }
    void reply.setCookie(SESSION_COOKIE, result.sessionToken, cookieOptions).clearCookie(PRE_SESSION_COOKIE, { path: '/' })
    return reply.redirect('/', 303)
  })
}
