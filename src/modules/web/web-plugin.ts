import cookie from '@fastify/cookie'
import formbody from '@fastify/formbody'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { timingSafeEqual } from 'node:crypto'
import { html } from '../../lib/html.ts'
import { problemOf } from '../../plugins/errors.ts'
import { pagePolicy, WEB_CSP } from '../../plugins/security-headers.ts'
import { APP_JS } from './app-script.ts'
import { APP_CSS } from './assets.ts'
import { page, type PageContext } from './layout.ts'
import type { Principal, RequestContext } from '../../lib/request-context.ts'
import { findSession, SESSION_COOKIE, type WebSession } from '../identity/sessions.ts'

declare module 'fastify' {
  interface FastifyRequest {
    webSession: WebSession | null
  }
}

export interface WebOptions {
  bodyLimit: number
  /** Cookies are Secure unless the service is reached over plain http on a non-loopback host. */
  secureCookies: boolean
}

/** Forms carry this token; a signed-out form (sign-in) pairs it with a cookie (double submit). */
export const PRE_SESSION_COOKIE = 'rapport_csrf'

/** The host an Origin header names; a malformed one names none, and so matches no host. */
function hostOf(origin: string): string | undefined {
  return URL.canParse(origin) ? new URL(origin).host : undefined
}

// The pages' own CSS and script only; a link followed from a page tells other sites nothing (same-origin referrer).
const WEB_PAGE_POLICY = pagePolicy(WEB_CSP, 'same-origin')

const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b))

export function pageContext(request: FastifyRequest, path?: string): PageContext {
  return { principal: request.webSession?.principal ?? null, csrfToken: request.webSession?.csrfToken ?? request.cookies[PRE_SESSION_COOKIE] ?? null, path }
}

export function sendPage(reply: FastifyReply, body: string, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body)
}

/**
 * What every web page shares: cookies and form bodies, the signed-in person (from the session
 * cookie), CSRF checks on every POST (the session's token, or the pre-session cookie's before
 * sign-in; and a same-origin check), security headers, and errors as HTML pages.
 */
export async function webScope(app: FastifyInstance, o: WebOptions): Promise<void> {
  await app.register(cookie)
  await app.register(formbody, { bodyLimit: o.bodyLimit })
  app.decorateRequest('webSession', null)

  app.addHook('onRequest', async (request, reply) => {
    reply.helmet(WEB_PAGE_POLICY)
    const token = request.cookies[SESSION_COOKIE]
    if (token) {
      request.webSession = (await findSession(app.db, token, new Date())) ?? null
      if (request.webSession) request.principal = request.webSession.principal
    }
  })

  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'POST') return
    const origin = request.headers.origin
    if (origin && origin !== 'null' && hostOf(origin) !== request.headers.host) return refuse(request, reply)
    const sent = (request.body as Record<string, unknown> | undefined)?._csrf ?? request.headers['x-csrf-token']
    const expected = request.webSession?.csrfToken ?? request.cookies[PRE_SESSION_COOKIE]
    if (typeof sent !== 'string' || !expected || !same(sent, expected)) return refuse(request, reply)
  })

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const problem = problemOf(err, request, o.bodyLimit)
    if (problem.status === 401) return reply.redirect(`/sign-in?next=${encodeURIComponent(request.url)}`, 303)
    const title = problem.status === 404 ? 'Not found' : problem.status === 403 ? 'Not allowed' : problem.status >= 500 ? 'Something went wrong' : problem.title
    const detail = problem.status >= 500 ? 'Something went wrong on our side; it has been logged. Please try again.' : problem.message
    return sendPage(reply, page(pageContext(request), title, html`<p>${detail}</p><p><a href="/">Back to the start page</a></p>`), problem.status)
  })

  app.get('/assets/app.css', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=300').send(APP_CSS))
  app.get('/assets/app.js', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=300').send(APP_JS))

}

function refuse(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendPage(reply, page(pageContext(request), 'Form expired', html`
    <p>This form could not be accepted: it was not sent from this site, or the page had been open too long.</p>
    <p>Go back, reload the page, and send it again. Nothing was changed.</p>`), 403)
}

/** What the API's services need about a page's request: the signed-in person and the request id. */
export const sessionContext = (request: FastifyRequest, principal: Principal): RequestContext =>
  ({ principal, requestId: request.id, ...(request.server.eventsOff ? { eventsOff: true } : {}) })

/** The signed-in person, or a redirect to sign in (HTML pages never answer 401). */
export function requireSignIn(request: FastifyRequest, reply: FastifyReply, roles?: string[]): WebSession | undefined {
  const session = request.webSession
  if (!session) {
    void reply.redirect(`/sign-in?next=${encodeURIComponent(request.url)}`, 303)
    return undefined
  }
  if (roles && !roles.includes(session.principal.role)) {
    void sendPage(reply, page(pageContext(request), 'Not allowed', html`<p>This page is not part of your role.</p><p><a href="/">Back to the start page</a></p>`), 403)
    return undefined
  }
  return session
}
