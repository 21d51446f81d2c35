import { sql, type SQL } from 'drizzle-orm'
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
export const PER_ENDPOINT_IN_FLIGHT = 8
/**
 * Claimed ahead, per endpoint and per instance, as multiples of the in-flight caps: a claim takes
 * more than the free slots, so one round trip through a busy pool feeds many sends, and a send
 * waits here for a slot instead of for the next claim. Twice the cap: a waiting send starts within
 * one timeout (15 s) of its claim, well inside the lease.
 */
const CLAIM_AHEAD = 2
/** What one instance may hold of one endpoint: claimed and not yet answered. */
export const PER_ENDPOINT_HELD = PER_ENDPOINT_IN_FLIGHT * CLAIM_AHEAD

/**
 * Room in this instance's worker, offered to the fan-out: it may insert up to `room` new
 * deliveries already claimed (`sending`, leased) for this worker, at most `PER_ENDPOINT_HELD` of an
 * endpoint counting `busy`, and hand them over once its transaction has committed (`accept`), or
 * give the room back (`cancel`). A delivery handed over skips the claim: one tuple version and one
 * statement fewer per delivery.
 */
export interface Grant {
  room: number
  busy: Record<string, number>
  accept(claimed: Claimed[]): void
  cancel(): void
}

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

/** When a claim made now runs out. */
export const leaseEnd = sql`now() + make_interval(secs => ${LEASE_SECONDS})`

/**
 * What sending claimed deliveries needs, for each row of `claimed` (rows with id, endpoint_id,
 * event_id, attempts and retry_requested): the claim's own statement and the fan-out's hand-over
 * both end with this.
 */
export const sendingOf = (claimed: SQL) => sql`
  select c.id, c.endpoint_id, c.attempts, c.retry_requested, e.url, e.secret_sealed, e.previous_secret_sealed,
    e.previous_expires_at > now() as previous_valid, ev.event_id, ev.type, ev.occurred_at, ev.data
  from ${claimed} c join webhook_endpoints e on e.id = c.endpoint_id join events ev on ev.event_id = c.event_id`

export interface Claimed {
  id: string; endpoint_id: string; attempts: number; retry_requested: boolean; url: string
  secret_sealed: string; previous_secret_sealed: string | null; previous_valid: boolean | null
  event_id: string; type: string; occurred_at: Date | string; data: Record<string, unknown> | string
}

interface Held { c: Claimed; signal: AbortSignal | undefined; finished: () => void }

const add = (counts: Map<string, number>, key: string, by: number) => {
  const n = (counts.get(key) ?? 0) + by
  if (n <= 0) counts.delete(key)
  else counts.set(key, n)
}

export function createDeliveryWorker(deps: WorkerDeps) {
  /** Per endpoint: claimed and not yet answered (waiting for a slot, or being sent). */
  const held = new Map<string, number>()
  /** Per endpoint: being sent. */
  const inFlight = new Map<string, number>()
  /** Sends whose HTTP request is in progress: what the slots count. */
  let sending = 0
  /** Claimed, waiting for a free slot (their endpoint's, and one of the instance's). */
  const waiting: Held[] = []
  /** Every delivery from its claim until its result is written (drain waits for these). */
  const running = new Set<Promise<void>>()
  const recorder = createAttemptRecorder(deps.db, { publicBaseUrl: deps.publicBaseUrl })
  /** Room promised to a fan-out whose transaction has not ended yet. */
  let granted = 0
  const room = () => deps.concurrency * CLAIM_AHEAD - (sending + waiting.length) - granted

  /**
   * Due deliveries (and sends whose lease ran out) of active endpoints, up to `slots` and to what
   * the per-endpoint claim-ahead cap allows (counting what this instance holds), claimed in one
   * statement: the rows are
   * locked FOR UPDATE SKIP LOCKED, so instances take disjoint ones, and marked `sending` with a
   * lease in the same statement, which commits on its own.
   */
  async function claim(slots: number): Promise<Claimed[]> {
    const busy = JSON.stringify(Object.fromEntries(held))
    return withoutFlush(deps.db, (tx) => rows<Claimed>(tx, sql`
      with pending as (
        select d.id, d.endpoint_id, d.next_attempt_at from webhook_deliveries d join webhook_endpoints e on e.id = d.endpoint_id
        where d.state = 'pending' and d.next_attempt_at <= now() and e.active
        order by d.next_attempt_at limit ${slots * 4 + 8} for update of d skip locked
      ), expired as (
        select d.id, d.endpoint_id, d.next_attempt_at from webhook_deliveries d join webhook_endpoints e on e.id = d.endpoint_id
        where d.state = 'sending' and d.lease_until < now() and e.active
        order by d.lease_until limit ${slots} for update of d skip locked
      ), due as (
        select * from pending union all select * from expired
      ), ranked as (
        select due.id, due.next_attempt_at,
          row_number() over (partition by due.endpoint_id order by due.next_attempt_at) + coalesce(busy.value::int, 0) as place
        from due left join jsonb_each_text(${busy}::jsonb) busy on busy.key::uuid = due.endpoint_id
      ), picked as (
        select id from ranked where place <= ${PER_ENDPOINT_HELD} order by next_attempt_at limit ${slots}
      ), claimed as (
        update webhook_deliveries d set state = 'sending', attempts = d.attempts + 1, updated_at = now(),
          lease_until = ${leaseEnd}
        from picked where d.id = picked.id
        returning d.id, d.endpoint_id, d.event_id, d.attempts, d.retry_requested
      )
      ${sendingOf(sql`claimed`)}`))
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
    add(inFlight, c.endpoint_id, -1)
    add(held, c.endpoint_id, -1)
    pump()
    deps.onSettled?.()
  }

  /** A claimed delivery, from now on this instance's to send; the promise ends when its result is written. */
  function hold(c: Claimed, signal: AbortSignal | undefined): Promise<void> {
    add(held, c.endpoint_id, 1)
    const p = new Promise<void>((finished) => { waiting.push({ c, signal, finished }) })
    running.add(p)
    void p.then(() => running.delete(p))
    return p
  }

  /** Starts waiting sends while there are free slots, oldest first, skipping endpoints at their cap. */
  function pump(): void {
    for (let i = 0; i < waiting.length && sending < deps.concurrency;) {
      const h = waiting[i]!
      if (h.signal?.aborted) {
        // Shutting down: not sent; the lease expires and another run sends it.
        waiting.splice(i, 1)
        add(held, h.c.endpoint_id, -1)
        h.finished()
        continue
      }
      if ((inFlight.get(h.c.endpoint_id) ?? 0) >= PER_ENDPOINT_IN_FLIGHT) { i++; continue }
      waiting.splice(i, 1)
      sending++
      add(inFlight, h.c.endpoint_id, 1)
      void send(h.c, h.signal).catch((err: unknown) => {
        deps.log?.error({ err, deliveryId: h.c.id }, 'webhook delivery could not be recorded; its lease will expire and it is sent again')
      }).finally(h.finished)
    }
  }

  return {
    /** The loop's run: claims what there is room for, and starts the sends, without waiting for them. */
    async runOnce(signal?: AbortSignal): Promise<number> {
      const free = room()
      if (free <= 0 || signal?.aborted) return 0
      const claimed = await claim(free)
      for (const c of claimed) void hold(c, signal)
      pump()
      return claimed.length
    },
    /** Room for the fan-out to hand deliveries over (null: none, or shutting down). */
    grant(signal: AbortSignal): Grant | null {
      const free = room()
      if (free <= 0 || signal.aborted) return null
      granted += free
      let open = true
      const close = () => {
        if (open) granted -= free
        open = false
      }
      return {
        room: free,
        busy: Object.fromEntries(held),
        accept(claimed) {
          close()
          for (const c of claimed) void hold(c, signal)
          pump()
        },
        cancel: close
      }
    },
    /** Claims and sends what is due now, and waits for the answers (tests and tools). */
    async deliverDue(): Promise<number> {
      const claimed = await claim(deps.concurrency * CLAIM_AHEAD)
      const done = claimed.map((c) => hold(c, undefined))
      pump()
      await Promise.all(done)
      return claimed.length
    },
    /** Waits for the sends in progress and their results (shutdown); claimed sends not started are let go. */
    async drain(): Promise<void> {
      pump()
      while (running.size > 0) await Promise.all([...running])
    }
  }
}

export type DeliveryWorker = ReturnType<typeof createDeliveryWorker>
