import type { Db } from '../../db/client.ts'
import { recordAudit } from '../../db/audit.ts'
import { ERRORS, problem } from '../../errors.ts'
import { isEventType } from '../../events/catalog.ts'
import { checkIfMatch, etagOf } from '../../lib/etag.ts'
import type { PageRequest } from '../../lib/crud.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import type { SecretsKey } from '../../lib/secrets-key.ts'
import { managesWebhooks, webhookEndpointScope } from '../access/policy.ts'
import type { CreatedWebhookEndpoint, CreateWebhookEndpoint, UpdateWebhookEndpoint, WebhookEndpoint } from './endpoints-schemas.ts'
import { findEndpoint, insertEndpoint, listEndpoints as selectEndpoints, updateEndpoint, type EndpointRow } from './endpoints-repository.ts'
import { resolvesPublic, urlRefusal } from './safe-fetch.ts'
import { newSecret } from './signing.ts'

/**
 * Webhook endpoints: registered by admins (every organization's events) and integrators (their
 * organization's). Secrets are shown once, in the create and rotate answers, and stored sealed
 * with the secrets key. Endpoints are deactivated, never deleted: their deliveries are history.
 */
export interface WebhookDeps { secrets: () => SecretsKey; allowPrivate: boolean }

const OBJECT = 'webhook_endpoint'
const iso = (d: Date | null) => d?.toISOString() ?? null

export function toEndpoint(row: EndpointRow): WebhookEndpoint {
  return {
    id: row.id, organizationId: row.organizationId, ownerAccountId: row.ownerAccountId, url: row.url, eventTypes: row.eventTypes,
    description: row.description, active: row.active, disabledReason: row.disabledReason as WebhookEndpoint['disabledReason'],
    disabledAt: iso(row.disabledAt), failingSince: iso(row.failingSince),
    previousSecretExpiresAt: row.previousSecretSealed && row.previousExpiresAt && row.previousExpiresAt > new Date() ? row.previousExpiresAt.toISOString() : null,
    createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString()
  }
}

export const etagOfEndpoint = (row: EndpointRow) => etagOf(row.id, row.revision)

function allowed(ctx: RequestContext): void {
  if (!managesWebhooks(ctx.principal)) throw ERRORS.forbidden('Only admins and integrators manage webhook endpoints.')
}

function checkEventTypes(types: readonly string[]): void {
  const unknown = types.map((type, i) => ({ type, i })).filter(({ type }) => !isEventType(type))
  if (unknown.length === 0) return
  throw problem('event-type-unknown', `Not in the event catalog: ${unknown.map((u) => u.type).join(', ')}.`, {
    errors: unknown.map(({ type, i }) => ({ pointer: `/eventTypes/${i}`, detail: `${type} is not an event type` }))
  })
}

/** The rules a URL must meet; its name is resolved too (delivery checks again, on every connection). */
async function checkUrl(url: string, allowPrivate: boolean): Promise<void> {
  const refuse = (detail: string) => problem('webhook-url-not-allowed', `The URL ${detail}.`, { errors: [{ pointer: '/url', detail }] })
  const refusal = urlRefusal(url, allowPrivate)
  if (refusal) throw refuse(refusal)
  if (allowPrivate) return
  const bad = await resolvesPublic(new URL(url).hostname)
  if (bad) throw refuse(`resolves to a non-public address (${bad})`)
}

async function lockEndpoint(tx: Db, ctx: RequestContext, id: string, ifMatch?: string): Promise<EndpointRow> {
  const row = await findEndpoint(tx, id, webhookEndpointScope(ctx.principal), { lock: true })
  if (!row) throw ERRORS.notFound('webhook endpoint', id)
  if (ifMatch !== undefined && ifMatch.trim() !== '') checkIfMatch(ifMatch, etagOfEndpoint(row))
  return row
}

export async function createEndpoint(db: Db, deps: WebhookDeps, ctx: RequestContext, body: CreateWebhookEndpoint)
  : Promise<{ row: EndpointRow; created: CreatedWebhookEndpoint }> {
  allowed(ctx)
  checkEventTypes(body.eventTypes)
  await checkUrl(body.url, deps.allowPrivate)
  const secret = newSecret()
  const organizationId = ctx.principal.role === 'integrator' ? ctx.principal.organizationId : null
  return db.transaction(async (tx) => {
    const row = await insertEndpoint(tx, {
      ownerAccountId: ctx.principal.accountId, organizationId, url: body.url, eventTypes: body.eventTypes,
      description: body.description ?? null, secretSealed: deps.secrets().encrypt(secret)
    })
    await recordAudit(tx, ctx, {
      action: `${OBJECT}.create`, objectType: OBJECT, objectId: row.id,
      changes: { organizationId, url: row.url, eventTypes: row.eventTypes, description: row.description }
    })
    return { row, created: { ...toEndpoint(row), secret } }
  })
}

export async function listEndpoints(db: Db, ctx: RequestContext, q: PageRequest & { active?: boolean | undefined }) {
  allowed(ctx)
  const { items, nextCursor } = await selectEndpoints(db, webhookEndpointScope(ctx.principal), q)
  return { items: items.map(toEndpoint), nextCursor }
}

export async function getEndpoint(db: Db, ctx: RequestContext, id: string): Promise<EndpointRow> {
  allowed(ctx)
  const row = await findEndpoint(db, id, webhookEndpointScope(ctx.principal))
  if (!row) throw ERRORS.notFound('webhook endpoint', id)
  return row
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

export async function updateWebhookEndpoint(db: Db, deps: WebhookDeps, ctx: RequestContext, id: string, body: UpdateWebhookEndpoint, ifMatch: string | undefined)
  : Promise<EndpointRow> {
  allowed(ctx)
  if (body.eventTypes) checkEventTypes(body.eventTypes)
  if (body.url !== undefined) await checkUrl(body.url, deps.allowPrivate)
  return db.transaction(async (tx) => {
    const current = await lockEndpoint(tx, ctx, id, ifMatch)
    const changes: Record<string, { from: unknown; to: unknown }> = {}
    for (const field of ['url', 'eventTypes', 'description'] as const) {
      if (body[field] !== undefined && !same(body[field], current[field])) changes[field] = { from: current[field], to: body[field] }
    }
    if (Object.keys(changes).length === 0) return current
    const row = await updateEndpoint(tx, id, Object.fromEntries(Object.entries(changes).map(([k, c]) => [k, c.to])))
    await recordAudit(tx, ctx, { action: `${OBJECT}.update`, objectType: OBJECT, objectId: id, changes })
    return row
  })
}

/** Deactivating keeps the record and its deliveries; pending ones wait and resume on reactivation. */
export async function setEndpointActive(db: Db, ctx: RequestContext, id: string, active: boolean, ifMatch: string | undefined): Promise<EndpointRow> {
  allowed(ctx)
  return db.transaction(async (tx) => {
    const current = await lockEndpoint(tx, ctx, id, ifMatch)
    if (active && current.active) throw problem('webhook-endpoint-active', `Webhook endpoint ${id} is active.`)
    if (!active && !current.active) return current
    const row = await updateEndpoint(tx, id, active
      ? { active: true, disabledReason: null, failingSince: null }
      : { active: false, disabledReason: 'manual' }, { disabled: !active })
    await recordAudit(tx, ctx, {
      action: `${OBJECT}.${active ? 'reactivate' : 'deactivate'}`, objectType: OBJECT, objectId: id,
      changes: { active: { from: current.active, to: active }, disabledReason: { from: current.disabledReason, to: row.disabledReason } }
    })
    return row
  })
}

/** A new secret, shown once; the current one keeps signing alongside it for 24 hours. */
export async function rotateSecret(db: Db, deps: WebhookDeps, ctx: RequestContext, id: string, ifMatch: string | undefined)
  : Promise<{ row: EndpointRow; created: CreatedWebhookEndpoint }> {
  allowed(ctx)
  const secret = newSecret()
  return db.transaction(async (tx) => {
    const current = await lockEndpoint(tx, ctx, id, ifMatch)
    if (!current.active) throw problem('webhook-endpoint-inactive', `Webhook endpoint ${id} is deactivated; reactivate it first.`)
    const row = await updateEndpoint(tx, id, { secretSealed: deps.secrets().encrypt(secret), previousSecretSealed: current.secretSealed }, { rotated: true })
    await recordAudit(tx, ctx, { action: `${OBJECT}.rotate_secret`, objectType: OBJECT, objectId: id, changes: { previousSecretExpiresAt: iso(row.previousExpiresAt) } })
    return { row, created: { ...toEndpoint(row), secret } }
  })
}
