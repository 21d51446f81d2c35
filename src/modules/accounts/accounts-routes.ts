import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ifMatchOf, withEtag } from '../../lib/crud.ts'
import { IfMatchHeaders } from '../../lib/crud-routes.ts'
import { IdParams } from '../../lib/schemas.ts'
import { contextOf } from '../../plugins/auth.ts'
import { AccountListQuery, AccountPage, AccountSchema, CreateAccountBody, UpdateAccountBody } from './accounts-schemas.ts'
import { createAccount, getAccount, listAccounts, setAccountActive, toAccount, updateAccountFields } from './accounts-service.ts'
import { Type } from 'typebox'
import { createInvitation } from '../identity/links-service.ts'
import apiKeysRoutes from './api-keys-routes.ts'
import meRoutes from './me-routes.ts'

const tags = ['accounts']

/** Who may call the API. Admins manage accounts (coordinators create and invite their programs' people); everyone may look at themself (see me-routes). */
const accountsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const adminOnly = app.requireRole('admin')

  // Coordinators create, read, invite and reactivate the accounts of the people in their scope.
  const adminOrCoordinator = app.requireRole('admin', 'coordinator')

  app.post('/accounts', {
    onRequest: adminOrCoordinator,
    schema: {
      tags, operationId: 'createAccount', body: CreateAccountBody, response: { 201: AccountSchema },
      summary: 'Create an account',
      description: 'The role decides the one link required: supervisorId (supervisor), traineeId (trainee), organizationId (integrator), programIds (coordinator, optional). Other links are refused (422). A trainee or supervisor has one account: a second is refused (409, person-has-account, naming `accountId`). Give the account a key with POST /accounts/{id}/api-keys, or a web password with POST /accounts/{id}/invitations. Coordinators create trainee and supervisor accounts for the people of the organizations their programmes serve.'
    }
  }, async (request, reply) => {
    const row = await createAccount(app.db, contextOf(request), request.body)
    return reply.code(201).header('location', `/v1/accounts/${row.id}`).send(withEtag(reply, row))
  })

  app.post('/accounts/:id/invitations', {
    onRequest: adminOrCoordinator,
    // The link is the secret: an Idempotency-Key retry is told the account was invited, never the link.
    config: { revealsSecret: ({ params }) => ({ kind: 'invitation for account', id: (params as { id: string }).id, url: `/v1/accounts/${(params as { id: string }).id}` }) },
    schema: {
      tags, operationId: 'inviteAccount', params: IdParams,
      summary: 'A one-time link for the account\'s person to set their first web password',
      description: 'Only for an account without a password (409 `account-has-password` otherwise: an admin sends a password reset instead, POST /accounts/{id}/password-resets). Valid for 7 days and once; a new link makes earlier ones stop working. People (not integrators) sign in to the web pages with their email and that password. Send the link to the person yourself.',
      response: { 201: Type.Object({ url: Type.String({ format: 'uri', maxLength: 2000 }), expiresAt: Type.String({ format: 'date-time', maxLength: 40 }) }) }
    }
  }, async (request, reply) => reply.code(201).send(await createInvitation(app.db, contextOf(request), request.params.id, app.issuer.baseUrl, new Date())))

  app.get('/accounts', {
    onRequest: adminOrCoordinator,
    schema: {
      tags, operationId: 'listAccounts', summary: 'List accounts, newest first', querystring: AccountListQuery, response: { 200: AccountPage },
      description: 'Coordinators see the accounts of the trainees and supervisors of the organizations their programmes serve.'
    }
  }, async (request) => {
    const page = await listAccounts(app.db, contextOf(request), request.query)
    return { items: page.items.map(toAccount), nextCursor: page.nextCursor }
  })

  app.get('/accounts/:id', {
    onRequest: adminOrCoordinator,
    schema: { tags, operationId: 'getAccount', summary: 'Get an account', params: IdParams, response: { 200: AccountSchema } }
  }, async (request, reply) => withEtag(reply, await getAccount(app.db, contextOf(request), request.params.id)))

  app.patch('/accounts/:id', {
    onRequest: adminOnly,
    schema: {
      tags, operationId: 'updateAccount', params: IdParams, headers: IfMatchHeaders, body: UpdateAccountBody, response: { 200: AccountSchema },
      summary: 'Change an account\'s name, email or (coordinators) programmes',
      description: 'programIds replaces the coordinator\'s programmes. The role and its link never change: create another account instead.'
    }
  }, async (request, reply) =>
    withEtag(reply, await updateAccountFields(app.db, contextOf(request), request.params.id, request.body, ifMatchOf(request))))

  app.post('/accounts/:id/deactivate', {
    onRequest: adminOnly,
    schema: {
      tags, operationId: 'deactivateAccount', params: IdParams, headers: IfMatchHeaders, response: { 200: AccountSchema },
      summary: 'Deactivate an account: its API keys stop working at once',
      description: 'The account and its keys are kept (reactivation restores them; revoke a key that may have leaked). The last active admin cannot be deactivated (409).'
    }
  }, async (request, reply) =>
    withEtag(reply, await setAccountActive(app.db, contextOf(request), request.params.id, false, ifMatchOf(request))))

  app.post('/accounts/:id/reactivate', {
    onRequest: adminOrCoordinator,
    schema: {
      tags, operationId: 'reactivateAccount', params: IdParams, headers: IfMatchHeaders, response: { 200: AccountSchema },
      summary: 'Reactivate an account: its unrevoked API keys work again',
      description: 'Admins, and coordinators for the accounts of the people in their scope. Deactivating a trainee or supervisor deactivates their account; reactivating the person does not reactivate it: this does. Refused (409) while the person is still deactivated (person-deactivated), and for an account unlinked as a person\'s second account (account-unlinked).'
    }
  }, async (request, reply) =>
    withEtag(reply, await setAccountActive(app.db, contextOf(request), request.params.id, true, ifMatchOf(request))))

  await app.register(apiKeysRoutes)
  await app.register(meRoutes)
}

export default accountsRoutes
