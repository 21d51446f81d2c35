import { sql } from 'drizzle-orm'
import type { FastifyBaseLogger } from 'fastify'
import type { Agent } from 'undici'
import type { Db } from '../../db/client.ts'
import { rows } from '../../db/rows.ts'
import type { SecretsKey } from '../../lib/secrets-key.ts'
import { createAttemptRecorder, withoutFlush } from './delivery-results.ts'
import { deliver, type DeliveryAnswer } from './safe-fetch.ts'
import { signedHeaders } from './signing.ts'

/**
 * The delivery workers of one instance. A claim is one short transaction (FOR UPDATE SKIP LOCKED,
 * so instances take disjoint rows) that marks deliveries `sending` with a 60 s lease; the HTTP
 * request happens outside any transaction; its result is written by recordAttempt, fenced by the
 * claimed attempt number. The lease outlives the 15 s timeout, so no two instances send the same
 * attempt; a crash mid-send means a re-send after the lease, with the same webhook-id.
 */
export const LEASE_SECONDS = 60
/** Per endpoint and instance: one slow receiver cannot take every slot. */
export const PER_ENDPOINT_IN_FLIGHT = 4

export interface WorkerDeps {
  db: Db
  secrets: () => SecretsKey
  agent: Agent
  allowPrivate: boolean
  concurrency: number
  publicBaseUrl: string
  log?: FastifyBaseLogger
  /** Called when a send ends: there is a free slot, and maybe more due work. */
  onSettled?: () => void
}

interface Claimed {
  id: string; endpoint_id: string; attempts: number; retry_requested: boolean; url: string
  secret_sealed: string; previous_secret_sealed: string | null; previous_valid: boolean | null
  event_id: string; type: string; occurred_at: Date | string; data: Record<string, unknown> | string
}

export function createDeliveryWorker(deps: WorkerDeps) {
  const perEndpoint = new Map<string, number>()
  /** Sends whose HTTP request is in progress: what the slots count. */
  let sending = 0
  /** Every delivery from its claim until its result is written (drain waits for these). */
  const running = new Set<Promise<void>>()
  const recorder = createAttemptRecorder(deps.db, { publicBaseUrl: deps.publicBaseUrl })

  /**
   * Due deliveries of active endpoints, as many as there are free slots and the per-endpoint cap
   * allows (counting this instance's sends in flight), claimed in one statement: the rows are
   * locked FOR UPDATE SKIP LOCKED, so instances take disjoint ones, and marked `sending` with a
   * lease in the same statement, which commits on its own.
   */
  async function claim(slots: number): Promise<Claimed[]> {
    const busy = JSON.stringify(Object.fromEntries(perEndpoint))
    return withoutFlush(deps.db, (tx) => rows<Claimed>(tx, sql`
      with due as (
        select d.id, d.endpoint_id, d.next_attempt_at from webhook_deliveries d join webhook_endpoints e on e.id = d.endpoint_id
        where e.active and ((d.state = 'pending' and d.next_attempt_at <= now()) or (d.state = 'sending' and d.lease_until < now()))
        order by d.next_attempt_at limit ${slots * 4 + 8} for update of d skip locked
      ), ranked as (
        select due.id, due.next_attempt_at,
          row_number() over (partition by due.endpoint_id order by due.next_attempt_at) + coalesce(busy.value::int, 0) as place
        from due left join jsonb_each_text(${busy}::jsonb) busy on busy.key::uuid = due.endpoint_id
      ), picked as (
        select id from ranked where place <= ${PER_ENDPOINT_IN_FLIGHT} order by next_attempt_at limit ${slots}
      ), claimed as (
        update webhook_deliveries d set state = 'sending', attempts = d.attempts + 1, updated_at = now(),
          lease_until = now() + make_interval(secs => ${LEASE_SECONDS})
        from picked where d.id = picked.id
        returning d.id, d.endpoint_id, d.event_id, d.attempts, d.retry_requested
      )
      select c.id, c.endpoint_id, c.attempts, c.retry_requested, e.url, e.secret_sealed, e.previous_secret_sealed,
        e.previous_expires_at > now() as previous_valid, ev.event_id, ev.type, ev.occurred_at, ev.data
      from claimed c join webhook_endpoints e on e.id = c.endpoint_id join events ev on ev.event_id = c.event_id`))
  }

  /** The secrets that sign, or null when they cannot be unsealed (SECRETS_KEY changed): a failure to record, not to hide. */
  function signingSecrets(c: Claimed): string[] | null {
    try {
      const secrets = deps.secrets()
      return [secrets.decrypt(c.secret_sealed), ...(c.previous_secret_sealed && c.previous_valid ? [secrets.decrypt(c.previous_secret_sealed)] : [])]
    } catch (err) {
      deps.log?.error({ err, endpointId: c.endpoint_id }, 'a webhook secret could not be unsealed: was SECRETS_KEY changed?')
      return null
    }
  }

  async function send(c: Claimed, signal: AbortSignal | undefined): Promise<void> {
    const data = typeof c.data === 'string' ? JSON.parse(c.data) as unknown : c.data
    const body = JSON.stringify({ type: c.type, timestamp: new Date(c.occurred_at).toISOString(), data })
    const startedAt = new Date()
    const signing = signingSecrets(c)
    let answer: DeliveryAnswer
    try {
      answer = signing === null
        ? { status: null, latencyMs: 0, excerpt: null, error: 'ESECRET', retryAfter: null }
        : await deliver(deps.agent, deps.allowPrivate, c.url, signedHeaders(signing, c.event_id, Math.floor(startedAt.getTime() / 1000), body), body, signal)
    } finally {
      // The receiver has answered (or not): the slot is free while the result is being written.
      settle(c)
    }
    // Shutting down: nothing is written; the lease expires and another run sends it again (same webhook-id).
    if (signal?.aborted) return
    const attempt = { deliveryId: c.id, endpointId: c.endpoint_id, attempt: c.attempts, manual: c.retry_requested, startedAt }
    const written = await recorder.record(attempt, answer)
    if (!written) deps.log?.warn({ deliveryId: c.id, attempt: c.attempts }, 'webhook attempt finished after its lease; another attempt superseded it')
  }

  function settle(c: Claimed): void {
    sending--
    const n = (perEndpoint.get(c.endpoint_id) ?? 1) - 1
    if (n <= 0) perEndpoint.delete(c.endpoint_id)
    else perEndpoint.set(c.endpoint_id, n)
    deps.onSettled?.()
  }

  function start(c: Claimed, signal: AbortSignal | undefined): Promise<void> {
    sending++
    perEndpoint.set(c.endpoint_id, (perEndpoint.get(c.endpoint_id) ?? 0) + 1)
    const p: Promise<void> = send(c, signal).catch((err: unknown) => {
      deps.log?.error({ err, deliveryId: c.id }, 'webhook delivery could not be recorded; its lease will expire and it is sent again')
    }).finally(() => { running.delete(p) })
    running.add(p)
    return p
  }

  return {
    /** The loop's run: claims what free slots allow and starts the sends, without waiting for them. */
    async runOnce(signal?: AbortSignal): Promise<number> {
      const slots = deps.concurrency - sending
      if (slots <= 0 || signal?.aborted) return 0
      const claimed = await claim(slots)
      for (const c of claimed) void start(c, signal)
      return claimed.length
    },
    /** Claims and sends what is due now, and waits for the answers (tests and tools). */
    async deliverDue(): Promise<number> {
      const claimed = await claim(deps.concurrency)
      await Promise.all(claimed.map((c) => start(c, undefined)))
      return claimed.length
    },
    /** Waits for the sends in progress and their results (shutdown). */
    async drain(): Promise<void> {
      while (running.size > 0) await Promise.all([...running])
    },
    inFlight: () => sending
  }
}

export type DeliveryWorker = ReturnType<typeof createDeliveryWorker>
