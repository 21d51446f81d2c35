import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import { IfMatchHeaders } from '../../lib/crud-routes.ts'
import { ifMatchOf } from '../../lib/crud.ts'
import { IdParams } from '../../lib/schemas.ts'
import { contextOf } from '../../plugins/auth.ts'
import {
  CreatedWebhookEndpointSchema, CreateWebhookEndpointBody, UpdateWebhookEndpointBody, WebhookEndpointListQuery, WebhookEndpointPage, WebhookEndpointSchema
} from './endpoints-schemas.ts'
import type { EndpointRow } from './endpoints-repository.ts'
import {
  createEndpoint, etagOfEndpoint, getEndpoint, listEndpoints, rotateSecret, setEndpointActive, toEndpoint, updateWebhookEndpoint, type WebhookDeps
} from './endpoints-service.ts'

export const tags = ['webhooks']

/** The answer shows the secret once: an Idempotency-Key retry is told which endpoint it was, never the secret. */
const revealsSecret = { revealsSecret: ({ body }: { body: unknown }) => {
  const id = (body as { id: string }).id
  return { kind: 'webhook endpoint secret', id, url: `/v1/webhook-endpoints/${id}` }
} }

const SECRET = 'The answer is the only time the secret is shown: it is stored encrypted with the secrets key (SECRETS_KEY).'

const withEtag = (reply: FastifyReply, row: EndpointRow) => { void reply.header('etag', etagOfEndpoint(row)); return toEndpoint(row) }

/** /v1/webhook-endpoints: admins (every organization's events) and integrators (their organization's). */
const endpointsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const managers = app.requireRole('admin', 'integrator')
  const deps = (): WebhookDeps => ({ secrets: app.identity.secrets, allowPrivate: app.webhooks.allowPrivate })

  app.post('/webhook-endpoints', {
    onRequest: managers, config: revealsSecret,
    schema: {
      tags, operationId: 'createWebhookEndpoint', summary: 'Register a webhook endpoint (admins: every organization\'s events; integrators: their organization\'s)',
      description: `${SECRET} Deliveries follow Standard Webhooks (README "Webhooks"); the endpoint receives events that occur from now on (replay asks for earlier ones).`,
      body: CreateWebhookEndpointBody, response: { 201: CreatedWebhookEndpointSchema }
    }
  }, async (request, reply) => {
    const { row, created } = await createEndpoint(app.db, deps(), contextOf(request), request.body)
    return reply.code(201).header('etag', etagOfEndpoint(row)).header('location', `/v1/webhook-endpoints/${row.id}`).send(created)
  })

  app.get('/webhook-endpoints', {
    onRequest: managers,
    schema: { tags, operationId: 'listWebhookEndpoints', summary: 'List webhook endpoints (never their secrets), newest first', querystring: WebhookEndpointListQuery, response: { 200: WebhookEndpointPage } }
  }, async (request) => listEndpoints(app.db, contextOf(request), request.query))

  app.get('/webhook-endpoints/:id', {
    onRequest: managers,
    schema: { tags, operationId: 'getWebhookEndpoint', summary: 'Get a webhook endpoint (never its secret)', params: IdParams, response: { 200: WebhookEndpointSchema } }
  }, async (request, reply) => withEtag(reply, await getEndpoint(app.db, contextOf(request), request.params.id)))

  app.patch('/webhook-endpoints/:id', {
    onRequest: managers,
    schema: {
      tags, operationId: 'updateWebhookEndpoint', summary: 'Change a webhook endpoint\'s URL, event types or description',
      params: IdParams, headers: IfMatchHeaders, body: UpdateWebhookEndpointBody, response: { 200: WebhookEndpointSchema }
    }
  }, async (request, reply) =>
    withEtag(reply, await updateWebhookEndpoint(app.db, deps(), contextOf(request), request.params.id, request.body, ifMatchOf(request))))

  for (const active of [false, true]) {
    const verb = active ? 'reactivate' : 'deactivate'
    app.post(`/webhook-endpoints/:id/${verb}`, {
      onRequest: managers,
      schema: {
        tags, operationId: `${verb}WebhookEndpoint`, params: IdParams, headers: IfMatchHeaders, response: { 200: WebhookEndpointSchema },
        summary: active
          ? 'Reactivate a webhook endpoint (409 `webhook-endpoint-active` when it is active); its waiting deliveries resume'
          : 'Deactivate a webhook endpoint: nothing more is sent to it; it and its deliveries stay readable'
      }
    }, async (request, reply) => withEtag(reply, await setEndpointActive(app.db, contextOf(request), request.params.id, active, ifMatchOf(request))))
  }

  app.post('/webhook-endpoints/:id/rotate-secret', {
    onRequest: managers, config: revealsSecret,
    schema: {
      tags, operationId: 'rotateWebhookEndpointSecret', summary: 'Issue a new signing secret; the old one keeps signing alongside it for 24 hours',
      description: `${SECRET} Until previousSecretExpiresAt, every delivery carries two signatures (space-separated), so a receiver verifies with either secret.`,
      params: IdParams, headers: IfMatchHeaders, response: { 200: CreatedWebhookEndpointSchema }
    }
  }, async (request, reply) => {
    const { row, created } = await rotateSecret(app.db, deps(), contextOf(request), request.params.id, ifMatchOf(request))
    return reply.header('etag', etagOfEndpoint(row)).send(created)
  })
}

export default endpointsRoutes
