import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { openDatabase, type Database } from '../../src/db/client.ts'
import { deferCleanup } from './cleanup.ts'
import { BenchSetupError } from './options.ts'

export interface BenchDatabase {
  /** The app's own database handle (drizzle over a pg.Pool of `poolMax`), migrated. */
  database: Database
  /** URL of the fresh database, for baselines that open their own pg.Pool. */
  url: string
  name: string
  serverVersion: string
  /** Closes the handle and drops the database; also runs on Ctrl-C. */
  drop: () => Promise<void>
  /**
   * A new database copied from this one (`CREATE DATABASE … TEMPLATE`), with its own handle and
   * drop: measurements that write (and whose cost grows with the rows written) each start from the
   * same rows. The first copy closes this database's own handle, as a template may have no
   * connections; `database` is then closed for good. The copy starts right after a checkpoint
   * (where the server lets this user ask for one), so a measurement on it neither runs into a
   * timed checkpoint nor inherits the copy's write-ahead log: each side starts alike.
   */
  copy: () => Promise<BenchDatabase>
}

const describe = (url: URL) => `${url.hostname}:${url.port || '5432'}`

async function adminQuery<T extends pg.QueryResultRow>(serverUrl: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 5000 })
  try {
    await client.connect()
  } catch (err) {
    throw new BenchSetupError(
      `No Postgres server answered at ${describe(new URL(serverUrl))} (${(err as Error).message}).\n` +
      'Start one, or point BENCH_DATABASE_URL (or DATABASE_URL) at a server where this user may create databases.'
    )
  }
  try {
    return (await client.query<T>(text)).rows
  } finally {
    await client.end()
  }
}

let checkpointRefused = false

/**
 * CHECKPOINT needs a superuser or, from Postgres 15, pg_checkpoint; without either the copies
 * start wherever the server's checkpoint cycle is, and the run says so once.
 */
async function checkpoint(serverUrl: string): Promise<void> {
  if (checkpointRefused) return
  try {
    await adminQuery(serverUrl, 'checkpoint')
  } catch (err) {
    checkpointRefused = true
    process.stdout.write(`  (no checkpoint before measurements: ${(err as Error).message}; rounds may vary more)\n`)
  }
}

/** A new database `rapport_bench_<random>` on the server, migrated; dropped again by `drop`. */
export async function freshBenchDatabase(serverUrl: string, poolMax: number): Promise<BenchDatabase> {
  const [version] = await adminQuery<{ server_version: string }>(serverUrl, 'show server_version')
  return createBenchDatabase(serverUrl, poolMax, version?.server_version ?? 'unknown', undefined)
}

async function createBenchDatabase(serverUrl: string, poolMax: number, serverVersion: string, template: string | undefined): Promise<BenchDatabase> {
  const name = `rapport_bench_${randomBytes(5).toString('hex')}`
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  let database: Database | undefined
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await database?.close()
  }
  // Registered before the database exists, so a Ctrl-C during creation still drops it.
  const drop = deferCleanup(async () => {
    await close()
    await adminQuery(serverUrl, `drop database if exists ${name} with (force)`)
  })
  try {
    await adminQuery(serverUrl, `create database ${name}${template ? ` template ${template}` : ''}`)
    // Seeding: one statement may load millions of rows, so no statement timeout and a patient pool.
    database = await openDatabase({ url: url.toString(), poolMax, statementTimeoutMs: 0, acquireTimeoutMs: 600_000 })
    if (!template) await database.migrate()
    else await checkpoint(serverUrl)
  } catch (err) {
    await drop()
    throw err
  }
  const copy = async () => {
    await close()
    return createBenchDatabase(serverUrl, poolMax, serverVersion, name)
  }
  return { database, url: url.toString(), name, serverVersion, drop, copy }
}
