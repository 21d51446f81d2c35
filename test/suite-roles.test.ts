import t from 'tap'
import { sql } from 'drizzle-orm'
import pg from 'pg'
import type { Db } from '../src/db/client.ts'
import { powerOverGuards } from '../src/db/roles.ts'
import { rows } from '../src/db/rows.ts'
import { freshDatabase } from './helpers/database.ts'

/**
 * The suite's own setup (test/helpers/database.ts): on a Postgres server every test file's app runs
 * on a runtime role the owner role migrated and granted, as in production, so a statement that role
 * may not run fails whichever test reaches it; fixtures write as the superuser; the roles go with
 * the database. On the embedded database there is one role and one handle.
 */
const whoAmI = async (db: Db) => (await rows<{ user: string; database: string }>(db, sql`select current_user as user, current_database() as database`))[0]!

/** The SQLSTATE a statement fails with (drizzle wraps the driver's error); undefined if it succeeded. */
const sqlState = (run: Promise<unknown>) => run.then(() => undefined,
  (err: { code?: string; cause?: { code?: string } }) => err.cause?.code ?? err.code)

t.test('each test file\'s app runs on the role production gives it', async (t) => {
  const fresh = await freshDatabase()
  let dropped = false
  t.teardown(async () => { if (!dropped) await fresh.drop() })
  const { database, db } = fresh
  if (database.kind === 'pglite') {
    t.equal(db, database.db, 'the embedded database: fixtures and the app share its one role')
    return
  }
  const app = await whoAmI(database.db)
  const fixtures = await whoAmI(db)
  t.equal(fixtures.database, app.database, 'fixtures write to the app\'s database')
  t.equal(await powerOverGuards(db), 'superuser', 'as the superuser, so they may backdate rows or switch off a trigger')

  if (process.env.TEST_SINGLE_ROLE === '1') {
    t.equal(app.user, fixtures.user, 'TEST_SINGLE_ROLE=1: the app runs as the server URL\'s user')
    return
  }
  t.match(app.user, /^rapport_test_[0-9a-f]{12}_app$/, 'the app connects as a runtime role of this database alone')
  t.equal(await powerOverGuards(database.db), null, 'which cannot switch off the guards')
  t.equal(await sqlState(database.db.execute(sql`select id from audit_events for update`)), '42501',
    'and lacks what production lacks: locking an append-only table\'s rows needs UPDATE')
  t.equal(await sqlState(db.execute(sql`select id from audit_events for update`)), undefined, 'which the fixtures\' superuser has')

  const owner = app.user.replace(/_app$/, '_owner')
  const [owned] = await rows<{ owner: string }>(db, sql`select tableowner as owner from pg_tables where tablename = 'audit_events'`)
  t.equal(owned?.owner, owner, 'the migrations ran as the owner role')

  await fresh.drop()
  dropped = true
  const server = new pg.Client({ connectionString: process.env.DATABASE_URL })
  await server.connect()
  try {
    const left = await server.query('select rolname from pg_roles where rolname = any($1) union all select datname from pg_database where datname = $2',
      [[app.user, owner], app.database])
    t.same(left.rows, [], 'dropping the database drops its two roles too: roles are cluster-wide')
  } finally {
    await server.end()
  }
})
