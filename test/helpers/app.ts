import { generateKeyPairSync, randomBytes } from 'node:crypto'
import type { Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { buildApp, type App } from '../../src/app.ts'
import { ensureAdmin } from '../../src/bootstrap.ts'
import { loadConfig, type Config } from '../../src/config.ts'
import type { Database, Db } from '../../src/db/client.ts'
import { freshDatabase } from './database.ts'

export const ADMIN_KEY = 'rk_test-admin-key-0000000000000000000000000000'

/** One credential signing key per test process, so no test writes a key file. */
export const SIGNING_KEY_PEM = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
/** Likewise the secrets key (two-factor secrets). */
export const SECRETS_KEY = randomBytes(32).toString('base64')

export interface TestApp {
  app: App
  /** Fixtures and raw-SQL checks (see FreshDatabase.db): on a Postgres server, the superuser, not the app's role. */
  db: Db
  /** The app's own: on a Postgres server, the runtime role. */
  database: Database
  config: Config
  adminKey: string
}

/** Builds the whole app on a fresh database for one test file; closed and dropped in teardown. */
export async function buildTestApp(t: Test, env: Record<string, string> = {}): Promise<TestApp> {
  // Rate limits, load shedding and background work out of the way (one key sends a whole file's requests within a
  // minute; a loaded CI machine delays the event loop) unless a test sets them.
  const config = loadConfig({
    LOG_LEVEL: 'silent', LOAD_RUBRICS_ON_START: 'false', ADMIN_API_KEY: ADMIN_KEY, CREDENTIAL_SIGNING_KEY: SIGNING_KEY_PEM, SECRETS_KEY,
    RATE_LIMIT_PER_MINUTE: '1000000', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000',
    MAX_IN_FLIGHT_REQUESTS: '0', SHED_EVENT_LOOP_DELAY_MS: '0', SHED_POOL_WAITING_MAX: '0',
    // Background loops (relay, deliveries, mail, schedules) only where a test turns them on.
    DISPATCHER_ENABLED: 'false', ...env
  })
  const { database, db, drop } = await freshDatabase()
  // As src/server.ts does it: the start-up writes go through the app's own role.
  await ensureAdmin(database.db, ADMIN_KEY)
  const app = await buildApp({ config, database, logger: false })
  await app.ready()
  t.teardown(async () => {
    await app.close()
    await drop()
  })
  return { app, db, database, config, adminKey: ADMIN_KEY }
}

export interface Call {
  body?: unknown
  headers?: Record<string, string>
  query?: Record<string, string>
}

/** A caller holding one API key: `const as = client(app, key); await as.get('/v1/...')`. */
export function client(app: App, key: string | null) {
  const send = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE') =>
    (url: string, call: Call = {}): Promise<LightMyRequestResponse> =>
      app.inject({
        method,
        url,
        query: call.query,
        headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...call.headers },
        ...(call.body === undefined ? {} : { payload: call.body as object })
      })
  return { get: send('GET'), post: send('POST'), put: send('PUT'), patch: send('PATCH'), delete: send('DELETE') }
}

export type Client = ReturnType<typeof client>
