import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams } from '../../lib/schemas.ts'
import { contextOf } from '../../plugins/auth.ts'
import { ApiKeyListQuery, ApiKeyPage, ApiKeySchema, CreateApiKeyBody, CreatedApiKeySchema } from './accounts-schemas.ts'
import { createApiKey, listApiKeys, MAX_UNREVOKED_KEYS, revokeApiKey } from './api-keys-service.ts'

const tags = ['accounts']

/** The answer shows the key once: an Idempotency-Key retry is told which key was issued, never the key. */
const revealsKey = { revealsSecret: ({ body }: { body: unknown }) => {
  const key = body as { id: string; accountId: string }
  return { kind: 'api-key', id: key.id, url: `/v1/accounts/${key.accountId}/api-keys` }
} }

const CREATED = `The response is the only time the key is shown: only its SHA-256 hash is stored. An account holds at most ${MAX_UNREVOKED_KEYS} unrevoked keys (409 beyond). A key may carry an expiry (\`expiresAt\`: from then on it answers 401 with code \`api-key-expired\`) and may be read-only (\`readOnly\`: any method other than GET or HEAD answers 403 with code \`api-key-read-only\`).`

/**
 * API keys. Admins issue and revoke keys for any account; every account, whatever its role, may
 * issue itself another key and revoke its own, so that keys can be rotated without an admin
 * (including an HR integration's). A key never grants more than its account's role.
 */
const apiKeysRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const adminOnly = app.requireRole('admin')

  app.post('/accounts/:id/api-keys', {
    onRequest: adminOnly,
    config: revealsKey,
    schema: {
      tags, operationId: 'createAccountApiKey', summary: 'Issue an API key for an account', description: CREATED,
      params: IdParams, body: CreateApiKeyBody, response: { 201: CreatedApiKeySchema }
    }
  }, async (request, reply) =>
    reply.code(201).send(await createApiKey(app.db, contextOf(request), request.params.id, request.body)))

  app.get('/accounts/:id/api-keys', {
    onRequest: adminOnly,
    schema: {
      tags, operationId: 'listAccountApiKeys', summary: 'List an account\'s API keys (never their secrets), newest first',
      params: IdParams, querystring: ApiKeyListQuery, response: { 200: ApiKeyPage }
    }
  }, async (request) => listApiKeys(app.db, request.params.id, request.query))

  app.post('/me/api-keys', {
    config: revealsKey,
    schema: {
      tags, operationId: 'createMyApiKey', summary: 'Issue another API key for your own account (to rotate keys)', description: CREATED,
      body: CreateApiKeyBody, response: { 201: CreatedApiKeySchema }
    }
  }, async (request, reply) => {
    const ctx = contextOf(request)
    return reply.code(201).send(await createApiKey(app.db, ctx, ctx.principal.accountId, request.body))
  })

  app.get('/me/api-keys', {
    schema: {
      tags, operationId: 'listMyApiKeys', summary: 'List your own API keys (never their secrets), newest first',
      querystring: ApiKeyListQuery, response: { 200: ApiKeyPage }
    }
  }, async (request) => listApiKeys(app.db, contextOf(request).principal.accountId, request.query))

  app.post('/api-keys/:id/revoke', {
    schema: {
      tags, operationId: 'revokeApiKey', params: IdParams, response: { 200: ApiKeySchema },
      summary: 'Revoke an API key: it answers 401 from the next request on',
      description: 'Admins may revoke any key; other accounts only their own (another account\'s key is not found). Revoking a revoked key changes nothing.'
    }
  }, async (request) => revokeApiKey(app.db, contextOf(request), request.params.id))
}

export default apiKeysRoutes
