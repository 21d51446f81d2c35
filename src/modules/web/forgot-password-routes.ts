import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { html } from '../../lib/html.ts'
import { requestPasswordReset } from '../../mail/reset-requests.ts'
import { csrfField, page } from './layout.ts'
import { pageContext, sendPage } from './web-plugin.ts'

const ForgotBody = Type.Object({ email: Type.String({ maxLength: 320 }), _csrf: Type.Optional(Type.String({ maxLength: 200 })) })

/**
 * "Forgot password" from the sign-in page. The answer is one page, the same words and status for
 * every address, known or not, throttled or not: the request only queues a job, and the mail
 * worker decides later whether a link goes out (src/mail/reset-requests.ts).
 */
export function forgotPasswordRoutes(app: FastifyInstance, preSessionToken: (request: FastifyRequest, reply: FastifyReply) => string): void {
  app.get('/forgot-password', { schema: { hide: true } }, async (request, reply) => {
    preSessionToken(request, reply)
    const ctx = pageContext(request)
    return sendPage(reply, page(ctx, 'Forgot your password?', html`
      <p>Type the email address you sign in with. If it belongs to an account, we send it a link to choose a new password.</p>
      <form method="post" action="/forgot-password" novalidate>
        ${csrfField(ctx)}
        <div class="field"><label for="email">Email</label>
          <input id="email" name="email" type="email" autocomplete="username" required></div>
        <div class="actions"><button type="submit">Send me a link</button></div>
      </form>
      <p><a href="/sign-in">Back to sign in</a></p>`))
  })

  app.post('/forgot-password', { schema: { hide: true, body: ForgotBody } }, async (request, reply) => {
    await requestPasswordReset(app.db, { email: (request.body as { email: string }).email, client: request.ip }, new Date())
    return sendPage(reply, page(pageContext(request), 'Check your email', html`
      <p>If an account uses that address, a link to choose a new password is on its way. It works once, for one hour.</p>
      <p>Nothing arrived after a few minutes? Check your spam folder, or ask your coordinator or an administrator.</p>
      <p><a href="/sign-in">Back to sign in</a></p>`))
  })
}
