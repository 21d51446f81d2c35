import { and, eq, inArray, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { recordAudit } from '../../db/audit.ts'
import { rows } from '../../db/rows.ts'
import { events, webhookAttempts, webhookDeliveries, webhookEndpoints } from '../../db/schema/index.ts'
import { ERRORS, problem } from '../../errors.ts'
import type { PageRequest } from '../../lib/crud.ts'
import { decodeCursor, keyset, toPage } from '../../lib/pagination.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import { webhookEndpointScope } from '../access/policy.ts'
import type { Replay, WebhookDelivery } from './deliveries-schemas.ts'
import { getEndpoint } from './endpoints-service.ts'
import { findEndpoint } from './endpoints-repository.ts'
import { messageIdOf } from './signing.ts'

/** One replay queues at most this many deliveries: a bigger range is split by the caller. */
export const REPLAY_MAX = 10_000
const MAX_ATTEMPTS_SHOWN = 100

type DeliveryRow = typeof webhookDeliveries.$inferSelect
const iso = (d: Date | null) => d?.toISOString() ?? null

function toDelivery(row: DeliveryRow, eventType: string, attempts: (typeof webhookAttempts.$inferSelect)[]): WebhookDelivery {
  return {
    id: row.id, endpointId: row.endpointId, eventId: row.eventId, eventType, webhookId: messageIdOf(row.eventId), state: row.state,
    attemptsMade: row.attempts, nextAttemptAt: row.state === 'pending' ? row.nextAttemptAt.toISOString() : null,
    lastStatus: row.lastStatus, lastError: row.lastError, manual: row.manual, createdAt: row.createdAt.toISOString(), completedAt: iso(row.completedAt),
    attempts: attempts.slice(-MAX_ATTEMPTS_SHOWN).map((a) => ({
      attempt: a.attempt, startedAt: a.startedAt.toISOString(), latencyMs: a.latencyMs, status: a.status, error: a.error,
      responseExcerpt: a.responseExcerpt, manual: a.manual
    }))
  }
}

async function withAttempts(db: Db, list: { d: DeliveryRow; type: string }[]): Promise<WebhookDelivery[]> {
  const ids = list.map((r) => r.d.id)
  const attempts = ids.length === 0 ? [] : await db.select().from(webhookAttempts).where(inArray(webhookAttempts.deliveryId, ids)).orderBy(webhookAttempts.attempt)
  return list.map((r) => toDelivery(r.d, r.type, attempts.filter((a) => a.deliveryId === r.d.id)))
}

/** An endpoint's deliveries, newest first, each with its attempts. */
export async function listDeliveries(db: Db, ctx: RequestContext, endpointId: string, q: PageRequest & { state?: DeliveryRow['state'] | undefined }) {
  await getEndpoint(db, ctx, endpointId)
  const { where, orderBy } = keyset(webhookDeliveries.createdAt, webhookDeliveries.id, decodeCursor(q.cursor))
  const found = await db.select({ d: webhookDeliveries, type: events.type }).from(webhookDeliveries)
    .innerJoin(events, eq(events.eventId, webhookDeliveries.eventId))
    .where(and(eq(webhookDeliveries.endpointId, endpointId), q.state === undefined ? undefined : eq(webhookDeliveries.state, q.state), where))
    .orderBy(...orderBy).limit(q.limit + 1)
  const page = toPage(found.map((r) => ({ ...r, id: r.d.id, createdAt: r.d.createdAt })), q.limit)
  return { items: await withAttempts(db, page.items), nextCursor: page.nextCursor }
}

/** Another attempt now, with the same delivery and webhook-id; refused while an attempt is being sent. */
export async function retryDelivery(db: Db, ctx: RequestContext, id: string): Promise<WebhookDelivery> {
  return db.transaction(async (tx) => {
    const [found] = await tx.select({ d: webhookDeliveries, active: webhookEndpoints.active, type: events.type }).from(webhookDeliveries)
      .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
      .innerJoin(events, eq(events.eventId, webhookDeliveries.eventId))
      .where(and(eq(webhookDeliveries.id, id), webhookEndpointScope(ctx.principal)))
      .for('update', { of: webhookDeliveries })
    if (!found || !['admin', 'integrator'].includes(ctx.principal.role)) throw ERRORS.notFound('webhook delivery', id)
    const [sending] = await rows<{ leased: boolean }>(tx, sql`select lease_until > now() as leased from webhook_deliveries where id = ${id} and state = 'sending'`)
    if (sending?.leased) throw problem('webhook-delivery-in-flight', `Delivery ${id} is being sent now; wait for its attempt to finish.`)
    if (!found.active) throw problem('webhook-endpoint-inactive', `The endpoint of delivery ${id} is deactivated; reactivate it first.`)
    const [row] = await tx.update(webhookDeliveries).set({
      state: 'pending', nextAttemptAt: sql`now()`, leaseUntil: null, retryRequested: true, completedAt: null, updatedAt: sql`now()`
    }).where(eq(webhookDeliveries.id, id)).returning()
    await recordAudit(tx, ctx, { action: 'webhook_delivery.retry', objectType: 'webhook_delivery', objectId: id, changes: { state: { from: found.d.state, to: 'pending' } } })
    return (await withAttempts(tx, [{ d: row!, type: found.type }]))[0]!
  })
}

/** New deliveries (manual) of the endpoint's matching events that occurred in [from, to). */
export async function replay(db: Db, ctx: RequestContext, endpointId: string, body: Replay, retentionDays: number): Promise<{ queued: number }> {
  const from = new Date(body.from)
  const to = new Date(body.to)
  const kept = new Date(Date.now() - retentionDays * 86_400_000)
  if (!(to > from)) throw problem('replay-range-invalid', '`to` must be after `from`.', { errors: [{ pointer: '/to', detail: 'not after from' }] })
  if (from < kept) {
    throw problem('replay-range-invalid', `The feed keeps ${retentionDays} days of events: \`from\` may be no earlier than ${kept.toISOString()}.`, {
      errors: [{ pointer: '/from', detail: 'before what the feed keeps' }]
    })
  }
  await getEndpoint(db, ctx, endpointId)
  return db.transaction(async (tx) => {
    const endpoint = await findEndpoint(tx, endpointId, webhookEndpointScope(ctx.principal), { lock: true })
    if (!endpoint) throw ERRORS.notFound('webhook endpoint', endpointId)
    if (!endpoint.active) throw problem('webhook-endpoint-inactive', `Webhook endpoint ${endpointId} is deactivated; reactivate it first.`)
    const matching = sql`from events ev where ev.feed_seq is not null and ev.type = any(${sql.param(endpoint.eventTypes)}::text[])
      and ev.occurred_at >= ${from.toISOString()}::timestamptz and ev.occurred_at < ${to.toISOString()}::timestamptz
      and (${endpoint.organizationId}::uuid is null or ${endpoint.organizationId}::uuid = any(ev.organization_ids))`
    const [count] = await rows<{ n: string | number }>(tx, sql`select count(*) as n ${matching}`)
    const n = Number(count?.n ?? 0)
    if (n > REPLAY_MAX) throw problem('replay-too-large', `${n} events match; one replay queues at most ${REPLAY_MAX}. Replay a shorter range.`)
    await tx.execute(sql`insert into webhook_deliveries (endpoint_id, event_id, manual) select ${endpointId}::uuid, ev.event_id, true ${matching} order by ev.feed_seq`)
    await recordAudit(tx, ctx, { action: 'webhook_endpoint.replay', objectType: 'webhook_endpoint', objectId: endpointId, changes: { from: body.from, to: body.to, queued: n } })
    return { queued: n }
  })
}

