import t, { type Test } from 'tap'
import { createServer, type Server, type Socket } from 'node:net'
import { sql } from 'drizzle-orm'
import pg from 'pg'
import { openDatabase, type Database, type Db } from '../src/db/client.ts'
import { rows } from '../src/db/rows.ts'
import { AcquireTimeoutError, databaseFailure } from '../src/db/failures.ts'
import { freshDatabase } from './helpers/database.ts'

// Each failure is produced by a real driver (and, with DATABASE_URL, a real server), so a driver
// upgrade that rewords an error, or a server's SQLSTATE, fails here rather than turning an outage into a 500.

const failureOf = async (work: Promise<unknown>) => {
  try {
    await work
  } catch (err) {
    return { failure: databaseFailure(err), err }
  }
  throw new Error('expected the database work to fail')
}

const readOnlyWrite = (db: Db) => db.transaction(async (tx) => {
  await tx.execute(sql`set transaction read only`)
  await tx.execute(sql`create temporary table read_only_probe (id int)`)
})

t.test('a write in a read-only transaction (a failed-over primary) is database-unavailable', async (t) => {
  const { database, drop } = await freshDatabase()
  t.teardown(drop)
  const { failure, err } = await failureOf(readOnlyWrite(database.db))
  t.match(err, { cause: { code: '25006' } }, 'the server refuses with SQLSTATE 25006')
  t.same(failure && [failure.class, failure.code], ['read_only', 'database-unavailable'])
  t.equal(databaseFailure(new Error('duplicate key', { cause: Object.assign(new Error('x'), { code: '23505' }) })), undefined,
    'a refusal of the request itself is no outage')
})

t.test('a closed embedded database is database-unavailable, and not ready', async (t) => {
  const database = await openDatabase({ dataDir: 'memory://' })
  await database.ready()
  await database.close()
  const { failure } = await failureOf(database.db.execute(sql`select 1`))
  t.same(failure && [failure.class, failure.code], ['connection', 'database-unavailable'])
  await t.rejects(database.ready(), 'the readiness check fails')
})

t.test('a server that refuses connections, or never answers, is database-unavailable within the connect timeout', async (t) => {
  const refused = await openDatabase({ url: 'postgres://nobody@127.0.0.1:1/none', poolMax: 1 })
  t.teardown(() => refused.close())
  t.same((await failureOf(refused.db.execute(sql`select 1`))).failure?.class, 'connection', 'refused')
  await t.rejects(refused.ready(), 'not ready')

  // Accepts the TCP connection, never speaks: only the connect timeout ends the wait.
  const sockets: Socket[] = []
  const silent: Server = createServer((socket) => { sockets.push(socket) })
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    for (const socket of sockets) socket.destroy()
    silent.close()
  })
  const port = (silent.address() as { port: number }).port
  const mute = await openDatabase({ url: `postgres://nobody@127.0.0.1:${port}/none`, poolMax: 1, connectTimeoutMs: 100, acquireTimeoutMs: 60_000 })
  t.teardown(() => mute.close())
  const { failure } = await failureOf(mute.db.execute(sql`select 1`))
  t.same(failure && [failure.class, failure.code], ['connection', 'database-unavailable'], 'connect timeout')
  t.equal(mute.stats().total, 0, 'the connection that never opened holds no place in the pool')
})

const serverUrl = process.env.DATABASE_URL
if (serverUrl) {
  const open = (extra: Parameters<typeof openDatabase>[0] = {}) => openDatabase({ url: serverUrl, poolMax: 2, ...extra })
  const admin = async (t: Test) => {
    const c = new pg.Client({ connectionString: serverUrl })
    await c.connect()
    t.teardown(() => c.end())
    return c
  }

  t.test('statement_timeout comes from the settings; past it, database-timeout; 0 means none', async (t) => {
    const quick = await open({ statementTimeoutMs: 100 })
    t.teardown(() => quick.close())
    const { failure, err } = await failureOf(quick.db.execute(sql`select pg_sleep(2)`))
    t.match(err, { cause: { code: '57014' } })
    t.same(failure && [failure.class, failure.code], ['statement_timeout', 'database-timeout'])
    t.same(await rows(quick.db, sql`select 1 as one`), [{ one: 1 }], 'the connection serves the next statement')

    const unbounded = await open({ statementTimeoutMs: 0 })
    t.teardown(() => unbounded.close())
    const shown = await rows(unbounded.db,
      sql`select current_setting('statement_timeout') as statement_timeout, current_setting('application_name') as application_name`)
    t.same(shown, [{ statement_timeout: '0', application_name: 'rapport' }], 'no limit, and the sessions are named rapport')
  })

  t.test('waiting for a pooled connection ends at the acquire timeout, for statements and transactions alike', async (t) => {
    const database = await open({ poolMax: 1, acquireTimeoutMs: 100 })
    t.teardown(() => database.close())
    let letGo = () => {}
    const held = database.db.transaction(async () => { await new Promise<void>((resolve) => { letGo = resolve }) })
    await new Promise((resolve) => setTimeout(resolve, 50))
    const single = await failureOf(database.db.execute(sql`select 1`))
    t.ok(single.err instanceof AcquireTimeoutError || (single.err as Error).cause instanceof AcquireTimeoutError, 'a single statement')
    t.same(single.failure && [single.failure.class, single.failure.code], ['acquire_timeout', 'database-unavailable'])
    t.same((await failureOf(database.db.transaction(async (tx) => tx.execute(sql`select 1`)))).failure?.class, 'acquire_timeout', 'a transaction')
    await database.ready()
    t.pass('the readiness check does not wait in the pool')
    letGo()
    await held
    t.same(await rows(database.db, sql`select 1 as one`), [{ one: 1 }], 'the pool serves again once the connection comes back')
    t.equal(database.stats().total, 1, 'the waiters that gave up took no connection')
  })

  t.test('a connection terminated inside a transaction: the error is classified, the process lives, the pool heals', async (t) => {
    const database: Database = await open({ poolMax: 2, applicationName: 'rapport-failures-test' })
    t.teardown(() => database.close())
    const su = await admin(t)
    const terminateAll = () => su.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'rapport-failures-test'`)

    const { failure } = await failureOf(database.db.transaction(async (tx) => {
      await tx.execute(sql`select 1`)
      await terminateAll()
      await tx.execute(sql`select 1`)
    }))
    t.same(failure && [failure.class, failure.code], ['connection', 'database-unavailable'])

    // Idle connections killed, then used at once: a `begin` that meets the dead connection must not
    // keep its pool slot (drizzle never releases a client whose begin failed).
    for (let round = 0; round < 5; round++) {
      await Promise.all([1, 2].map(() => database.db.transaction(async (tx) => tx.execute(sql`select 1`))))
      await terminateAll()
      await Promise.allSettled([1, 2, 3].map(() => database.db.transaction(async (tx) => tx.execute(sql`select 1`))))
    }
    const after = await Promise.all([1, 2, 3, 4].map(() => database.db.transaction(async (tx) => tx.execute(sql`select 1 as one`))))
    t.equal(after.length, 4, 'every transaction runs afterwards')
    t.ok(database.stats().total <= 2 && database.stats().waiting === 0, 'no slot leaked')
    await database.ready()
    await terminateAll()
    await new Promise((resolve) => setTimeout(resolve, 50))
    await database.ready()
    t.pass('the readiness connection reconnects after it was terminated')
  })
}
