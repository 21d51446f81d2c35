import t from 'tap'
import pg from 'pg'
import { sql } from 'drizzle-orm'
import { buildApp } from '../src/app.ts'
import { ensureAdmin } from '../src/bootstrap.ts'
import { loadConfig } from '../src/config.ts'
import { openDatabase } from '../src/db/client.ts'
import { rows } from '../src/db/rows.ts'
import { ADMIN_KEY, SECRETS_KEY, SIGNING_KEY_PEM, buildTestApp } from './helpers/app.ts'

const auth = { authorization: `Bearer ${ADMIN_KEY}` }
const databaseErrors = async (app: { metrics: { databaseErrors: { get(): Promise<{ values: Array<{ labels: Record<string, unknown>; value: number }> }> } } }) =>
  Object.fromEntries((await app.metrics.databaseErrors.get()).values.map((v) => [String(v.labels.class), v.value]))

t.test('the embedded database closed under the app: 503 database-unavailable, not 500; liveness stays up', async (t) => {
  const database = await openDatabase({ dataDir: 'memory://' })
  await database.migrate()
  await ensureAdmin(database.db, ADMIN_KEY)
  const config = loadConfig({ LOG_LEVEL: 'silent', LOAD_RUBRICS_ON_START: 'false', ADMIN_API_KEY: ADMIN_KEY, CREDENTIAL_SIGNING_KEY: SIGNING_KEY_PEM, SECRETS_KEY })
  const app = await buildApp({ config, database, logger: false })
  t.teardown(() => app.close())
  t.equal((await app.inject({ url: '/v1/rubrics', headers: auth })).statusCode, 200, 'served while the database is open')
  t.equal((await app.inject({ url: '/health/ready' })).statusCode, 200)

  await database.close()
  const res = await app.inject({ url: '/v1/rubrics', headers: auth })
  t.equal(res.statusCode, 503)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.match(res.json(), { code: 'database-unavailable', status: 503 })
  t.equal(res.headers['retry-after'], '2', 'with Retry-After')
  const ready = await app.inject({ url: '/health/ready' })
  t.equal(ready.statusCode, 503, 'not ready')
  t.match(ready.json(), { code: 'database-unavailable' })
  t.equal((await app.inject({ url: '/health/live' })).statusCode, 200, 'live: the process is up and never asks the database')
  t.same(await databaseErrors(app), { connection: 1 }, 'counted in the database errors metric')
})

const serverUrl = process.env.DATABASE_URL
if (serverUrl) {
  t.test('a request whose backend is terminated gets 503 database-unavailable; the next one succeeds', async (t) => {
    const { app, db } = await buildTestApp(t)
    // A second session (the superuser) holds a lock the request needs, so the request's backend
    // waits where it can be found and terminated mid-request.
    const [{ name } = { name: '' }] = await rows<{ name: string }>(db, sql`select current_database() as name`)
    const url = new URL(serverUrl)
    url.pathname = `/${name}`
    const locker = new pg.Client({ connectionString: url.toString() })
    await locker.connect()
    t.teardown(() => locker.end())
    await locker.query('begin')
    await locker.query('lock table api_keys, accounts, observations, observation_summaries in access exclusive mode')

    // light-my-request sends on the first then(), so start it now.
    const pending = Promise.resolve(app.inject({ url: '/v1/observations', headers: auth }))
    let terminated = 0
    for (let i = 0; i < 200 && terminated === 0; i++) {
      const found = await locker.query(`select pg_terminate_backend(pid) as done from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`)
      terminated = found.rowCount ?? 0
      if (terminated === 0) await new Promise((resolve) => setTimeout(resolve, 25))
    }
    t.equal(terminated, 1, 'the request\'s backend was found waiting, and terminated')
    await locker.query('rollback')

    const res = await pending
    t.equal(res.statusCode, 503)
    t.match(res.json(), { code: 'database-unavailable', type: '/problems/unavailable' })
    t.equal(res.headers['retry-after'], '2')
    t.same(await databaseErrors(app), { connection: 1 })

    const next = await app.inject({ url: '/v1/observations', headers: auth })
    t.equal(next.statusCode, 200, 'the next request is served, on a new connection')
    t.equal((await app.inject({ url: '/health/ready' })).statusCode, 200)
  })
}
