import { sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { recordAudit } from '../../db/audit.ts'
import { rows } from '../../db/rows.ts'
import { recordEvents } from '../../events/record.ts'
import { queueMail } from '../../mail/queue.ts'
import { FAILING_DISABLE_MS, parseRetryAfter, retryDelayMs } from './retry-schedule.ts'
import type { DeliveryAnswer } from './safe-fetch.ts'

/**
 * What one attempt's answer means, written in one transaction: the attempt's row, the delivery's
 * next state and the endpoint's health. The delivery's update is fenced by `attempts = claimed`: a
 * worker that comes back after its lease expired (another took the delivery over) writes nothing.
 */
export interface ClaimedAttempt {
  deliveryId: string
  endpointId: string
  attempt: number
  manual: boolean
  startedAt: Date
}

export type DisabledReason = 'gone' | 'failing'

const succeeded = (a: DeliveryAnswer) => a.status !== null && a.status >= 200 && a.status < 300

/** Answers whether the result was written (false: the claim was stale). */
export async function recordAttempt(db: Db, c: ClaimedAttempt, answer: DeliveryAnswer, o: { publicBaseUrl: string; random?: () => number }): Promise<boolean> {
  const ok = succeeded(answer)
  const gone = answer.status === 410
  const throttled = answer.status === 429 || answer.status === 503
  if (ok) return (await recordSuccesses(db, [{ c, answer }])).has(c.deliveryId)
  const delay = gone ? null : retryDelayMs(c.attempt, throttled ? parseRetryAfter(answer.retryAfter) : undefined, o.random)
  const state = delay === null ? 'failed' : 'pending'
  const lastError = answer.error ?? `HTTP ${answer.status}`
  return db.transaction(async (tx) => {
    const [updated] = await rows<{ id: string }>(tx, sql`
      update webhook_deliveries set state = ${state}, lease_until = null, retry_requested = false,
        last_status = ${answer.status}, last_error = ${lastError}, updated_at = now(),
        next_attempt_at = case when ${delay}::bigint is null then next_attempt_at else now() + make_interval(secs => ${delay}::bigint / 1000.0) end,
        completed_at = case when ${state} = 'pending' then null else now() end
      where id = ${c.deliveryId} and attempts = ${c.attempt} and state = 'sending'
      returning id`)
    if (!updated) return false
    await tx.execute(sql`
      insert into webhook_attempts (delivery_id, attempt, started_at, latency_ms, status, error, response_excerpt, manual)
      values (${c.deliveryId}, ${c.attempt}, ${c.startedAt.toISOString()}::timestamptz, ${answer.latencyMs}, ${answer.status}, ${answer.error}, ${answer.excerpt}, ${c.manual})
      on conflict (delivery_id, attempt) do nothing`)
    const [health] = await rows<{ expired: boolean }>(tx, sql`
      update webhook_endpoints set failing_since = coalesce(failing_since, now()) where id = ${c.endpointId}
      returning now() - failing_since >= make_interval(secs => ${FAILING_DISABLE_MS / 1000}) as expired`)
    if (gone) await disableEndpoint(tx, c.endpointId, 'gone', o.publicBaseUrl)
    else if (health?.expired) await disableEndpoint(tx, c.endpointId, 'failing', o.publicBaseUrl)
    return true
  })
}

/**
 * Successes, the common case, in one statement for many (one round trip, atomic like the
 * transaction above): the fenced delivery updates, their attempt rows and the endpoints' health,
 * which a success clears. Answers the ids whose result was written (the others' claims were stale).
 */
export async function recordSuccesses(db: Db, done: ReadonlyArray<{ c: ClaimedAttempt; answer: DeliveryAnswer }>): Promise<Set<string>> {
  if (done.length === 0) return new Set()
  const column = <T>(pick: (d: { c: ClaimedAttempt; answer: DeliveryAnswer }) => T) => sql.param(done.map(pick))
  const written = await withoutFlush(db, (tx) => rows<{ id: string }>(tx, sql`
    with input as (
      select * from unnest(${column((d) => d.c.deliveryId)}::uuid[], ${column((d) => d.c.attempt)}::int[],
        ${column((d) => d.c.startedAt.toISOString())}::timestamptz[], ${column((d) => d.answer.latencyMs)}::int[],
        ${column((d) => d.answer.status)}::int[], ${column((d) => d.answer.excerpt)}::text[], ${column((d) => d.c.manual)}::boolean[])
        as i(id, attempt, started_at, latency_ms, status, excerpt, manual)
    ), delivered as (
      update webhook_deliveries d set state = 'succeeded', lease_until = null, retry_requested = false,
        last_status = i.status, last_error = null, updated_at = now(), completed_at = now()
      from input i where d.id = i.id and d.attempts = i.attempt and d.state = 'sending'
      returning d.id, d.endpoint_id, i.attempt, i.started_at, i.latency_ms, i.status, i.excerpt, i.manual
    ), attempt as (
      insert into webhook_attempts (delivery_id, attempt, started_at, latency_ms, status, error, response_excerpt, manual)
      select id, attempt, started_at, latency_ms, status, null, excerpt, manual from delivered
      on conflict (delivery_id, attempt) do nothing
    ), healthy as (
      update webhook_endpoints set failing_since = null
      where id in (select endpoint_id from delivered) and failing_since is not null
    )
    select id from delivered`))
  return new Set(written.map((r) => r.id))
}

/** Results written per statement at most. */
const BATCH = 500

/**
 * The results of one instance's sends, written as they come: a failure in its own transaction
 * (it may deactivate the endpoint), successes gathered while the previous batch is being written
 * and then written together (a group commit), so a burst of answers costs one statement and one
 * pool connection, not one each. A result waiting here is a claim not yet released: should the
 * process die first, the lease expires and the delivery is sent again, with the same webhook-id.
 */
export function createAttemptRecorder(db: Db, o: { publicBaseUrl: string }) {
  type Waiting = { c: ClaimedAttempt; answer: DeliveryAnswer; resolve: (written: boolean) => void; reject: (err: unknown) => void }
  let waiting: Waiting[] = []
  let writing: Promise<void> | undefined

  async function writeAll(): Promise<void> {
    // One turn of the event loop first: answers that arrived together are written together.
    await new Promise((resolve) => setImmediate(resolve))
    while (waiting.length > 0) {
      const batch = waiting.slice(0, BATCH)
      waiting = waiting.slice(BATCH)
      try {
        const written = await recordSuccesses(db, batch)
        for (const w of batch) w.resolve(written.has(w.c.deliveryId))
      } catch (err) {
        for (const w of batch) w.reject(err)
      }
    }
    writing = undefined
  }

  return {
    /** Answers, once written, whether the result counted (false: the claim was stale). */
    record(c: ClaimedAttempt, answer: DeliveryAnswer): Promise<boolean> {
      if (!succeeded(answer)) return recordAttempt(db, c, answer, o)
      return new Promise<boolean>((resolve, reject) => {
        waiting.push({ c, answer, resolve, reject })
        writing ??= writeAll()
      })
    },
    /** Results waiting or being written. */
    pending: () => waiting.length + (writing ? 1 : 0)
  }
}

/**
 * A claim or a success without waiting for its commit to reach the disk (synchronous_commit off
 * for this transaction only): two commits per delivery would otherwise wait on a WAL flush each,
 * which is what bounds delivery on a small machine. A crash can lose at most the last few hundred
 * milliseconds of these, and either loss only sends an attempt again, with the same webhook-id:
 * the at-least-once delivery the receivers already handle. Never for the relay, whose numbers a
 * reader may already have seen, nor for any change a person made.
 */
export async function withoutFlush<T>(db: Db, work: (tx: Db) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`set local synchronous_commit = off`)
    return work(tx)
  })
}

interface Disabled { id: string; url: string; organization_id: string | null; owner_account_id: string; owner_name: string; owner_email: string | null }

/**
 * The service deactivates an endpoint (it answered 410, or failed for 5 days): in one transaction
 * the change, its audit row (no actor), an `endpoint.disabled` event and the owner's mail.
 */
export async function disableEndpoint(tx: Db, endpointId: string, reason: DisabledReason, publicBaseUrl: string): Promise<boolean> {
  const [row] = await rows<Disabled>(tx, sql`
    with disabled as (
      update webhook_endpoints set active = false, disabled_reason = ${reason}, disabled_at = now(), revision = revision + 1, updated_at = now()
      where id = ${endpointId} and active returning id, url, organization_id, owner_account_id
    )
    select d.*, a.name as owner_name, a.email as owner_email from disabled d join accounts a on a.id = d.owner_account_id`)
  if (!row) return false
  const self = `/v1/webhook-endpoints/${row.id}`
  await recordAudit(tx, null, {
    action: 'webhook_endpoint.disable', objectType: 'webhook_endpoint', objectId: row.id,
    changes: { active: { from: true, to: false }, disabledReason: { from: null, to: reason } }
  })
  await recordEvents(tx, null, [{
    type: 'endpoint.disabled', subjectId: row.id, organizationIds: row.organization_id ? [row.organization_id] : [], programIds: [],
    data: { endpointId: row.id, reason, links: { self, deliveries: `${self}/deliveries` } }
  }])
  if (row.owner_email) {
    await queueMail(tx, {
      template: 'endpoint-disabled', to: row.owner_email, accountId: row.owner_account_id,
      vars: { name: row.owner_name, url: row.url, reason, link: `${publicBaseUrl}${self}` }
    })
  }
  return true
}
