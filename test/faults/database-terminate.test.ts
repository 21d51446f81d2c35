import t from 'tap'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { sql } from 'drizzle-orm'
import { rows } from '../../src/db/rows.ts'
import { emptyServerDatabase } from '../helpers/database.ts'
import { checkRecord, msUntil, seedWriter, sleep, startService, writeLoad } from '../helpers/faults.ts'

// The service's database sessions terminated (pg_terminate_backend: an operator, an idle timeout, a
// failover's fencing) again and again while writes are in flight.
const serverUrl = process.env.DATABASE_URL
if (!serverUrl) throw new Error('the fault suite needs DATABASE_URL (a Postgres server)')

t.test('terminating the service\'s backends under write load', async (t) => {
  const { database, drop } = await emptyServerDatabase(serverUrl, 4)
  t.teardown(drop)
  await database.migrate()
  const writer = await seedWriter(database.db)
  const name = `rapport-fault-${randomBytes(4).toString('hex')}`
  const [current] = await rows<{ name: string }>(database.db, sql`select current_database() as name`)
  const url = new URL(serverUrl)
  url.pathname = `/${current?.name ?? ''}`
  url.searchParams.set('application_name', name)
  const service = await startService(t, url.toString(), { DB_POOL_MAX: '8' })

  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  t.teardown(() => admin.end())
  const load = writeLoad(service.origin, writer, 12)
  let terminated = 0
  const resumes: number[] = []
  for (let round = 0; round < 6; round++) {
    await sleep(700)
    const res = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [name])
    terminated += res.rowCount ?? 0
    // The readiness connection is one of the terminated: a 200 from it again means a new session.
    resumes.push(await msUntil(`${service.origin}/health/ready`, 200, 10_000))
  }
  await sleep(500)
  await load.stop()
  t.ok(service.alive(), 'the process is still up')
  t.ok(terminated >= 6, `backends were terminated while writes were in flight (${terminated})`)
  t.ok(resumes.every(Number.isFinite), 'the service is ready again after each round')
  const after = writeLoad(service.origin, writer, 1)
  await sleep(300)
  await after.stop()
  t.ok(after.record.answers.length > 0 && after.record.answers.every((a) => a.status < 300), 'writes succeed after the faults')
  await checkRecord(t, load.record, database.db)
  const outages = load.record.answers.filter((a) => a.status === 503).length
  t.comment(`answers ${load.record.answers.length}, 503 ${outages}, acknowledged observations ${load.record.acknowledged.size}, `
    + `backends terminated ${terminated}, ready again after ${resumes.join(', ')} ms`)
})
