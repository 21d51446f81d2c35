import type { IncomingMessage, ServerResponse } from 'node:http'
import fastifyHelmet from '@fastify/helmet'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import helmet, { type HelmetOptions } from 'helmet'

/**
 * Security headers on every answer, through helmet: nosniff, a referrer policy, no framing
 * anywhere, HSTS when the public address is https, and a Content-Security-Policy that fits what
 * is served. The API's default allows nothing (JSON and PDFs load no resources); the pages that do
 * load some name exactly what: the web pages their own CSS and script, the verification page its
 * one inline style (by hash), Swagger UI its own static files (set in plugins/swagger.ts).
 */
type Directives = Record<string, string[]>

const API_CSP: Directives = { 'default-src': ["'none'"], 'frame-ancestors': ["'none'"] }

export const WEB_CSP: Directives = {
  'default-src': ["'self'"], 'img-src': ["'self'", 'data:'], 'style-src': ["'self'"], 'script-src': ["'self'"],
  'object-src': ["'none'"], 'base-uri': ["'self'"], 'form-action': ["'self'"], 'frame-ancestors': ["'none'"]
}

/**
 * Swagger UI's top bar draws its logo as an inline SVG with one <style> element; that stylesheet is
 * allowed by its hash (test/e2e/csp.test.ts fails, naming the new hash, if an upgrade changes it).
 */
const SWAGGER_LOGO_STYLE = "'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='"

export const DOCS_CSP: Directives = {
  'default-src': ["'self'"], 'img-src': ["'self'", 'data:'], 'font-src': ["'self'", 'data:'], 'style-src': ["'self'", SWAGGER_LOGO_STYLE],
  'script-src': ["'self'"], 'script-src-attr': ["'none'"], 'object-src': ["'none'"], 'base-uri': ["'self'"],
  'form-action': ["'self'"], 'frame-ancestors': ["'none'"]
}

/** A self-contained page whose only resource is an inline stylesheet, allowed by its hash. */
export const selfContainedPageCsp = (styleHash: string): Directives => ({
  'default-src': ["'none'"], 'style-src': [`'${styleHash}'`], 'base-uri': ["'none'"], 'form-action': ["'none'"], 'frame-ancestors': ["'none'"]
})

export const cspHeader = (d: Directives): string => Object.entries(d).map(([name, values]) => `${name} ${values.join(' ')}`).join('; ')

/** What a page changes of the API's options (per route, or per reply with `reply.helmet(...)`). */
export const pagePolicy = (csp: Directives, referrer: 'no-referrer' | 'same-origin' = 'no-referrer') => ({
  contentSecurityPolicy: { useDefaults: false as const, directives: csp },
  referrerPolicy: { policy: referrer }
})

/** helmet's options for the API; HSTS only when the service is reached over https. */
export function helmetOptions(csp: Directives, o: { https: boolean }) {
  return {
    ...pagePolicy(csp),
    strictTransportSecurity: o.https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    xFrameOptions: { action: 'deny' as const }
  }
}

/**
 * The same headers as a plain object, for the answers written before (or outside) Fastify's
 * request lifecycle: a malformed request, oversized headers, a path too long, shutting down.
 * helmet is run once over a stand-in response that only records what it sets.
 */
export function staticHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {}
  const res = { setHeader: (name: string, value: unknown) => { headers[name.toLowerCase()] = String(value) }, removeHeader: () => undefined }
  helmet(options)({} as IncomingMessage, res as unknown as ServerResponse, () => undefined)
  return headers
}

export const isHttps = (publicBaseUrl: string): boolean => new URL(publicBaseUrl).protocol === 'https:'

export const apiHeaders = (https: boolean): Record<string, string> => staticHeaders(helmetOptions(API_CSP, { https }))

export default fp(async function securityHeaders(app: FastifyInstance, opts: { publicBaseUrl: string }) {
  await app.register(fastifyHelmet, helmetOptions(API_CSP, { https: isHttps(opts.publicBaseUrl) }))
}, { name: 'security-headers' })
