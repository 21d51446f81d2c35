import { randomBytes } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { html } from '../../lib/html.ts'
import { SESSION_COOKIE } from '../identity/sessions.ts'
import { CALLBACK_PATH } from '../sso/oidc.ts'
import { beginSignIn, completeSignIn, providerById, providerForEmail, type SsoRefusal } from '../sso/sso-sign-in-service.ts'
import { HOME, localPath } from './auth-routes.ts'
import { waitMessage } from './identity-views.ts'
import { csrfField, notice, page } from './layout.ts'
import { pageContext, PRE_SESSION_COOKIE, sendPage, type WebOptions } from './web-plugin.ts'

/**
 * Single sign-on pages: the email-first form (the work email's domain picks the organization's
 * provider), a start URL per provider (for IdP-initiated tiles), and the one callback. The state
 * also goes into a short-lived cookie, so a callback finishes only in the browser that started it
 * (no login CSRF); the database keeps it once-only.
 */
export const SSO_STATE_COOKIE = 'rapport_sso'

const REFUSALS: Record<SsoRefusal, { status: number; message: string }> = {
  'state-unknown': { status: 400, message: 'This sign-in was not started here, or has expired. Start again.' },
  'state-expired': { status: 400, message: 'This sign-in took too long and has expired. Start again.' },
  'state-replayed': { status: 400, message: 'This sign-in was already used. Start again.' },
  'state-other-browser': { status: 400, message: 'This sign-in was started in another browser or tab that is gone. Start again here.' },
  'unknown-email': { status: 403, message: 'Your organization signed you in, but no active Rapport account of your organization has that email. Ask your coordinator to check the email on your account.' },
  'email-unverified': { status: 403, message: 'Your organization did not confirm that the email address is yours, so Rapport cannot tell which account is yours. Ask your administrator.' },
  'email-domain-not-allowed': { status: 403, message: 'Your email\'s domain is not one this organization signs in with single sign-on. Ask your administrator.' },
  'account-inactive': { status: 403, message: 'Your Rapport account is deactivated. Ask your coordinator if this is a mistake.' },
  'wrong-audience': { status: 403, message: 'Your organization\'s sign-in answered for another application. Tell your administrator.' },
  'token-expired': { status: 403, message: 'Your organization\'s sign-in answer arrived too late (it had expired). Try again.' },
  'token-invalid': { status: 403, message: 'Your organization\'s sign-in answer could not be checked. Try again; if it keeps failing, tell your administrator.' },
  'provider-error': { status: 403, message: 'Your organization\'s sign-in did not complete. Try again; if it keeps failing, tell your administrator.' },
  'provider-unreachable': { status: 409, message: 'Your organization\'s sign-in service cannot be reached just now. Try again in a moment.' }
}

const EmailBody = Type.Object({ email: Type.String({ maxLength: 320 }), next: Type.Optional(Type.String({ maxLength: 2000 })), _csrf: Type.Optional(Type.String({ maxLength: 200 })) })
const Next = Type.Object({ next: Type.Optional(Type.String({ maxLength: 2000 })) })

export function ssoPages(app: FastifyInstance, o: WebOptions): void {
  const cookieOptions = { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: o.secureCookies }

  const emailPage = (request: FastifyRequest, reply: FastifyReply, v: { email?: string; next?: string; error?: string; status?: number }) => {
    if (!request.cookies[PRE_SESSION_COOKIE]) {
      const token = randomBytes(24).toString('base64url')
      void reply.setCookie(PRE_SESSION_COOKIE, token, cookieOptions)
      request.cookies[PRE_SESSION_COOKIE] = token
    }
    const ctx = pageContext(request)
    return sendPage(reply, page(ctx, 'Sign in with your organization', html`
      ${v.error ? notice('error', v.error, 'sso-error') : ''}
      <form method="post" action="/sign-in/sso" novalidate>
        ${csrfField(ctx)}
        <input type="hidden" name="next" value="${v.next ?? '/'}">
        <div class="field"><label for="work-email">Work email</label>
          <p class="hint" id="work-email-hint">Your organization's sign-in page opens next.</p>
          <input id="work-email" name="email" type="email" autocomplete="username" required value="${v.email ?? ''}" aria-describedby="work-email-hint${v.error ? ' sso-error' : ''}"${v.error ? html` aria-invalid="true"` : ''}></div>
        <div class="actions"><button type="submit">Continue</button></div>
      </form>
      <p><a href="/sign-in">Sign in with a password instead</a></p>`), v.status)
  }

  const refusalPage = (request: FastifyRequest, reply: FastifyReply, reason: SsoRefusal) => {
    const r = REFUSALS[reason]
    return sendPage(reply, page(pageContext(request), 'Sign-in refused', html`
      ${notice('error', r.message)}
      <p class="muted">Reason code: <code id="sso-reason">${reason}</code></p>
      <p><a href="/sign-in/sso">Start again</a> · <a href="/sign-in">Sign in with a password</a></p>`), r.status)
  }

  /**
   * Off to the provider: a redirect, except after a form (the pages' CSP allows forms to post only
   * to this site, redirects included), where a page moves on by itself, with a link as fallback.
   */
  const go = async (request: FastifyRequest, reply: FastifyReply, providerId: string, next: string, loginHint?: string) => {
    const provider = await providerById(app.db, providerId)
    if (!provider) return undefined
    const url = await beginSignIn(app.db, app.identity, provider, next, loginHint, new Date(), (state) => {
      void reply.setCookie(SSO_STATE_COOKIE, state, { ...cookieOptions, maxAge: 600 })
    })
    if (!url) return refusalPage(request, reply, 'provider-unreachable')
    if (request.method === 'GET') return reply.redirect(url, 303)
    return sendPage(reply, page(pageContext(request), `Sign in with ${provider.displayName}`, html`
      <p>Your organization's sign-in page opens now.</p>
      <p><a class="button" href="${url}">Continue to ${provider.displayName}</a></p>`, { refreshTo: url }))
  }

  app.get('/sign-in/sso', { schema: { hide: true, querystring: Next } }, async (request, reply) => {
    if (request.webSession) return reply.redirect(HOME[request.webSession.principal.role] ?? '/', 303)
    return emailPage(request, reply, { next: localPath((request.query as { next?: string }).next) })
  })

  app.post('/sign-in/sso', { schema: { hide: true, body: EmailBody } }, async (request, reply) => {
    const body = request.body as { email: string; next?: string }
    const next = localPath(body.next)
    const provider = await providerForEmail(app.db, body.email)
    if (!provider) {
      return emailPage(request, reply, { email: body.email, next, status: 404, error: 'No organization signs in this email with single sign-on. Check the email, or sign in with your password.' })
    }
    return go(request, reply, provider.id, next, body.email.trim())
  })

  app.get(CALLBACK_PATH, { schema: { hide: true } }, async (request, reply) => {
    const current = new URL(request.url, `${app.identity.publicBaseUrl}/`)
    const result = await completeSignIn(app.db, app.identity, current, request.cookies[SSO_STATE_COOKIE], request.ip, new Date(), request.id)
    if (!result.ok) {
      if (result.reason === 'wait') {
        void reply.header('retry-after', String(result.seconds))
        return sendPage(reply, page(pageContext(request), 'Sign-in refused', html`${notice('error', waitMessage(result.seconds))}`), 429)
      }
      return refusalPage(request, reply, result.reason)
    }
    void reply.setCookie(SESSION_COOKIE, result.token, cookieOptions)
    void reply.clearCookie(PRE_SESSION_COOKIE, { path: '/' })
    return reply.redirect(localPath(result.returnPath), 303)
  })

  // A provider's own start URL (an "Initiate login URI", a tile in the provider's portal).
  app.get('/sign-in/sso/:providerId', { schema: { hide: true, params: Type.Object({ providerId: Type.String({ maxLength: 100 }) }), querystring: Next } }, async (request, reply) => {
    const started = await go(request, reply, (request.params as { providerId: string }).providerId, localPath((request.query as { next?: string }).next))
    if (started) return started
    return sendPage(reply, page(pageContext(request), 'Not found', html`<p>No such single sign-on. <a href="/sign-in">Sign in</a></p>`), 404)
  })
}

