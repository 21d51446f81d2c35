import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { IdParams } from '../../lib/schemas.ts'
import { contextOf } from '../../plugins/auth.ts'
import { AppError } from '../../errors.ts'
import { changeOwnPassword, removeSecondFactor, signOutEverywhere } from './identity-api-service.ts'
import { ChangePasswordBody, LinkSchema, SessionsEndedSchema } from './identity-schemas.ts'
import { createPasswordReset } from './links-service.ts'

const tags = ['accounts']

/**
 * The API's side of identity: an admin's password reset links and removal of a lost second
 * factor, and a person's own password and web sessions. The web pages use the same services.
 */
const identityRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const adminOnly = app.requireRole('admin')

  app.post('/accounts/:id/password-resets', {
    onRequest: adminOnly,
    // The link is the secret: an Idempotency-Key retry is told a reset was made, never the link.
    config: { revealsSecret: ({ params }) => ({ kind: 'password reset for account', id: (params as { id: string }).id, url: `/v1/accounts/${(params as { id: string }).id}` }) },
    schema: {
      tags, operationId: 'resetAccountPassword', params: IdParams, response: { 201: LinkSchema },
      summary: 'A one-time link for the account\'s person to replace their password (admins)',
      description: 'For an account that has a password (an invitation is for one that has none; 409 `account-has-no-password`). Valid for one hour and once; a new link makes earlier ones stop working; audited as `account.password_reset`. Setting the password from it ends every session of the account; a person with two-factor sign-in still needs their code. Until self-service reset by email exists, this is the only way to replace a forgotten password.'
    }
  }, async (request, reply) => reply.code(201).send(await createPasswordReset(app.db, contextOf(request), request.params.id, app.issuer.baseUrl, new Date())))

  app.delete('/accounts/:id/two-factor', {
    onRequest: adminOnly,
    schema: {
      tags, operationId: 'removeAccountTwoFactor', params: IdParams, response: { 204: Type.Null({ description: 'Removed (or there was none).' }) },
      summary: 'Remove a person\'s second factor (admins), for a lost phone and lost recovery codes',
      description: 'Audited as `account.two_factor_remove`; every web session of the account ends. Where two-factor is required for the role, the person sets it up again at their next sign-in.'
    }
  }, async (request, reply) => {
    await removeSecondFactor(app.db, contextOf(request), request.params.id)
    return reply.code(204).send(null)
  })

  app.post('/me/password', {
    schema: {
      tags, operationId: 'changeMyPassword', body: ChangePasswordBody, response: { 200: SessionsEndedSchema },
      summary: 'Change your own web password (the current one is required); every web session ends',
      description: 'Wrong current password: 422 `current-password-wrong`; too weak: 422 `password-too-weak`; repeated wrong attempts wait (429 `too-many-attempts`, with Retry-After).'
    }
  }, async (request, reply) => {
    try {
      return await changeOwnPassword(app.db, contextOf(request), request.body)
    } catch (err) {
      if (err instanceof AppError && typeof err.extensions?.retryAfter === 'number') void reply.header('retry-after', String(err.extensions.retryAfter))
      throw err
    }
  })

  app.delete('/me/sessions', {
    schema: {
      tags, operationId: 'signOutEverywhere', response: { 200: SessionsEndedSchema },
      summary: 'Sign out everywhere: every web session of your account ends'
    }
  }, async (request) => ({ sessionsEnded: await signOutEverywhere(app.db, contextOf(request)) }))
}

export default identityRoutes
