import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { sql } from 'drizzle-orm'
import type { Test } from 'tap'
import type { App } from '../../src/app.ts'
import type { Db } from '../../src/db/client.ts'
import { rows } from '../../src/db/rows.ts'
import { recordEvents } from '../../src/events/record.ts'
import { relayOnce } from '../../src/events/relay.ts'
import { client, type Client } from './app.ts'
import { makeAccount, makeOrganization } from './factories.ts'

/**
 * Webhook tests' tools: a real HTTP receiver on loopback that records what it got and answers as
 * told, organizations with integrators, and events written as a writer would (then numbered).
 */
export interface Received { headers: IncomingHttpHeaders; body: string; at: number }
export type Answer = { status: number; headers?: Record<string, string>; body?: string; delayMs?: number }

export interface Receiver {
  url: string
  port: number
  received: Received[]
  /** What the next requests get (default 200); a function sees each request. */
  answer: (r: Received) => Answer
  close: () => Promise<void>
  /** Stops listening (connections refused) and listens again on the same port. */
  down: () => Promise<void>
  up: () => Promise<void>
}

export async function startReceiver(t: Test, path = '/hook', port = 0): Promise<Receiver> {
  const r: Receiver = {
    url: '', port: 0, received: [], answer: () => ({ status: 200, body: 'ok' }),
    close: async () => undefined, down: async () => undefined, up: async () => undefined
  }
  let server: Server
  const listen = (p: number) => new Promise<void>((resolve) => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const got = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() }
        r.received.push(got)
        const a = r.answer(got)
        const reply = () => { if (!res.destroyed) { res.writeHead(a.status, a.headers ?? {}); res.end(a.body ?? '') } }
        if (a.delayMs) setTimeout(reply, a.delayMs).unref()
        else reply()
      })
    })
    server.listen(p, '127.0.0.1', () => {
      r.port = (server.address() as AddressInfo).port
      r.url = `http://127.0.0.1:${r.port}${path}`
      resolve()
    })
  })
  const stop = () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) })
  await listen(port)
  r.close = stop
  r.down = stop
  r.up = () => listen(r.port)
  t.teardown(() => { if (server.listening) return stop() })
  return r
}

export interface Tenant { organizationId: string; integrator: Client; integratorAccountId: string }

export async function tenant(app: App, db: Db): Promise<Tenant> {
  const org = await makeOrganization(db)
  const { account, key } = await makeAccount(db, 'integrator', { organizationId: org.id })
  return { organizationId: org.id, integrator: client(app, key), integratorAccountId: account.id }
}

let subjects = 0
/** An event of the catalog about organization `organizationId`, committed and numbered for the feed; its event id. */
export async function emit(db: Db, organizationId: string, type: 'trainee.created' | 'trainee.updated' = 'trainee.created'): Promise<string> {
  const traineeId = `00000000-0000-4000-8000-${String(++subjects).padStart(12, '0')}`
  await db.transaction((tx) => recordEvents(tx, null, [{
    type, subjectId: traineeId, organizationIds: [organizationId], programIds: [],
    data: { traineeId, organizationId, active: true, links: { self: `/v1/trainees/${traineeId}` } }
  }]))
  await relayOnce(db)
  const [row] = await rows<{ event_id: string }>(db, sql`select event_id from events where subject_id = ${traineeId}`)
  return row!.event_id
}

/**
 * Fans out every numbered event, then sends what is due, round after round (at most 8 per endpoint
 * at a time), waiting for the answers; how many attempts were made.
 */
export async function deliverNow(app: App): Promise<number> {
  while (await app.webhooks.fanOutOnce()) { /* a full batch: there may be more */ }
  let total = 0
  for (let n = await app.webhooks.worker.deliverDue(); n > 0; n = await app.webhooks.worker.deliverDue()) total += n
  return total
}

/** Makes every pending delivery due now, as if its wait had passed. */
export async function timePasses(db: Db): Promise<void> {
  await db.execute(sql`update webhook_deliveries set next_attempt_at = now() where state = 'pending'`)
}

export async function deliveriesOf(db: Db, endpointId: string) {
  return rows<{ id: string; state: string; attempts: number; next_attempt_at: Date | string; event_id: string; manual: boolean }>(db,
    sql`select id, state, attempts, next_attempt_at, event_id, manual from webhook_deliveries where endpoint_id = ${endpointId} order by created_at, id`)
}

export async function waitFor(check: () => Promise<boolean> | boolean, what: string, limitMs = 30_000): Promise<void> {
  const until = Date.now() + limitMs
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
