import { randomBytes } from 'node:crypto'
import { sql } from 'drizzle-orm'
import type { Test } from 'tap'
import type { Db } from '../../src/db/client.ts'
import { rows } from '../../src/db/rows.ts'
import { recordEvents } from '../../src/events/record.ts'
import { emptyServerDatabase } from './database.ts'
import { ADMIN_KEY, startService, type Service } from './faults.ts'
import { makeOrganization } from './factories.ts'

/**
 * The webhook fault tests' setting: a fresh database on the Postgres server, the real service in
 * child processes (delivery on, loopback receivers allowed), and events written straight into the
 * outbox as a writer's transaction would (the service's relay numbers them).
 */
const serverUrl = process.env.DATABASE_URL
export const SECRETS = randomBytes(32).toString('base64')

export async function faultSetting(t: Test) {
  if (!serverUrl) throw new Error('the fault suite needs DATABASE_URL (a Postgres server)')
  const { database, drop } = await emptyServerDatabase(serverUrl, 4)
  t.teardown(drop)
  await database.migrate()
  const db = database.db
  const [current] = await rows<{ name: string }>(db, sql`select current_database() as name`)
  const url = new URL(serverUrl)
  url.pathname = `/${current?.name ?? ''}`
  const organizationId = (await makeOrganization(db)).id
  const start = (env: Record<string, string> = {}): Promise<Service> => startService(t, url.toString(), {
    DISPATCHER_ENABLED: 'true', WEBHOOK_ALLOW_PRIVATE: 'true', SECRETS_KEY: SECRETS, DB_POOL_MAX: '6', ...env
  })
  return { db, organizationId, start }
}

export async function registerEndpoint(service: Service, url: string): Promise<{ id: string; secret: string }> {
  const res = await fetch(`${service.origin}/v1/webhook-endpoints`, {
    method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url, eventTypes: ['trainee.created'] })
  })
  if (res.status !== 201) throw new Error(`register: ${res.status} ${await res.text()}`)
  return await res.json() as { id: string; secret: string }
}

/** `n` events committed in `n` transactions; their event ids. */
export async function emitMany(db: Db, organizationId: string, n: number): Promise<string[]> {
  const ids: string[] = []
  for (let i = 0; i < n; i++) {
    const traineeId = randomBytes(16).toString('hex').replace(/^(.{8})(.{4}).(.{3}).(.{3})(.{12})$/, '$1-$2-4$3-8$4-$5')
    await db.transaction((tx) => recordEvents(tx, null, [{
      type: 'trainee.created', subjectId: traineeId, organizationIds: [organizationId], programIds: [],
      data: { traineeId, organizationId, active: true, links: { self: `/v1/trainees/${traineeId}` } }
    }]))
    const [row] = await rows<{ event_id: string }>(db, sql`select event_id from events where subject_id = ${traineeId}`)
    ids.push(row!.event_id)
  }
  return ids
}

export async function deliveryStates(db: Db): Promise<Record<string, number>> {
  const found = await rows<{ state: string; n: number }>(db, sql`select state, count(*)::int as n from webhook_deliveries group by state`)
  return Object.fromEntries(found.map((r) => [r.state, r.n]))
}

/** Time passes: every waiting retry is due now, and every lease has run out. */
export async function fastForward(db: Db): Promise<void> {
  await db.execute(sql`update webhook_deliveries set next_attempt_at = now() where state = 'pending'`)
  await db.execute(sql`update webhook_deliveries set lease_until = now() - interval '1 second' where state = 'sending'`)
}
