import type { FastifyInstance } from 'fastify'
import { authRoutes } from './auth-routes.ts'
import { ssoPages } from './sso-pages.ts'
import { signInCodeRoutes } from './sign-in-code-routes.ts'
import { accountRoutes } from './account-routes.ts'
import { supervisorRoutes } from './supervisor-routes.ts'
import { observationRoutes } from './observation-routes.ts'
import { observationLifecycleRoutes } from './observation-lifecycle-routes.ts'
import { peopleRoutes } from './people-routes.ts'
import { observationAmendRoutes } from './observation-amend-routes.ts'
import { adminMailRoutes } from './admin-mail-routes.ts'
import { webScope, type WebOptions } from './web-plugin.ts'

/** The web pages: one encapsulated scope, so cookies, form bodies and CSRF checks stay out of the API. */
export default async function webRoutes(app: FastifyInstance, o: WebOptions): Promise<void> {
  await webScope(app, o)
  authRoutes(app, o)
  ssoPages(app, o)
  signInCodeRoutes(app, o)
  accountRoutes(app)
  supervisorRoutes(app)
  observationRoutes(app)
  observationLifecycleRoutes(app)
  peopleRoutes(app)
  observationAmendRoutes(app)
  adminMailRoutes(app)
}

/** Secure cookies, except over plain http to a host other than this machine (where a browser would drop them). */
export function secureCookiesFor(publicBaseUrl: string): boolean {
  const url = new URL(publicBaseUrl)
  return url.protocol === 'https:' || ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)
}
