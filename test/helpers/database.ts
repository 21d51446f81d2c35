import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { openDatabase, type Database, type Db } from '../../src/db/client.ts'
import { scratchRoles } from './database-roles.ts'

export interface FreshDatabase {
  /** What the app runs on. On a Postgres server: the runtime role, which the owner role migrated and granted, as in production. */
  database: Database
  /**
   * What fixtures and raw-SQL checks use: the same database as the server URL's user (the machine's
   * superuser), so a test may backdate rows, set session_replication_role or disable a trigger, and
   * a trigger test meets the trigger rather than a missing privilege. On PGlite, the one role.
   */
  db: Db
  drop: () => Promise<void>
}

/**
 * A fresh, migrated database for one test file: embedded PGlite in memory by default, or a new
 * database on the server named by DATABASE_URL with two roles of its own (dropped again
 * afterwards), so a statement the runtime role may not run fails the test that reaches it.
 * TEST_SINGLE_ROLE=1 runs the app as the server URL's user instead, to tell a privilege failure
 * from any other.
 */
export async function freshDatabase(): Promise<FreshDatabase> {
  const serverUrl = process.env.DATABASE_URL
  if (!serverUrl) {
    const database = await openDatabase({ dataDir: 'memory://' })
    await database.migrate()
    return { database, db: database.db, drop: () => database.close() }
  }
  if (process.env.TEST_SINGLE_ROLE === '1') return singleRoleDatabase(serverUrl)
  // Names unique to the database (rapport_test_…_owner, _app): roles are cluster-wide. Created by
  // docker/postgres-init's script, ~0.1 s beyond the database itself.
  const roles = await scratchRoles(serverUrl)
  const database = await openDatabase({ url: roles.runtimeUrl, migrationUrl: roles.ownerUrl, poolMax: 10 })
  // Fixtures and checks: large seeds take their time, whatever the service's own bounds are.
  const superuser = await openDatabase({ url: roles.superUrl, poolMax: 5, statementTimeoutMs: 0, acquireTimeoutMs: 600_000 })
  const drop = async () => {
    await Promise.allSettled([database.close(), superuser.close()])
    await roles.drop()
  }
  try {
    await database.migrate()
  } catch (err) {
    await drop()
    throw err
  }
  return { database, db: superuser.db, drop }
}

/**
 * An empty database (no migration applied) on the server, as the server URL's user, and how to drop
 * it: for the single-role setup, and for tests of the migrations themselves.
 */
export async function emptyServerDatabase(serverUrl: string, poolMax = 10): Promise<{ database: Database; drop: () => Promise<void> }> {
  const name = `rapport_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  const database = await openDatabase({ url: url.toString(), poolMax })
  return {
    database,
    drop: async () => {
      await database.close()
      const c = new pg.Client({ connectionString: serverUrl })
      await c.connect()
      await c.query(`drop database if exists ${name} with (force)`)
      await c.end()
    }
  }
}

/** The app and the fixtures on one role, the server URL's user: the setup before the two roles. */
async function singleRoleDatabase(serverUrl: string): Promise<FreshDatabase> {
  const { database, drop } = await emptyServerDatabase(serverUrl)
  await database.migrate()
  return { database, db: database.db, drop }
}
