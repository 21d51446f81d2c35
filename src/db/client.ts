import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres'
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator'
import pg from 'pg'
import { loadConfig, type Config } from '../config.ts'
import * as schema from './schema/index.ts'
import { lockDataDir } from './lock.ts'
import { migrateAsOwner } from './roles.ts'
import { connectionConfig, createPool, readinessCheck, type PgSettings } from './pg-pool.ts'
import { initPgliteDataDir, pgliteStartParams } from './pglite-memory.ts'

export type Schema = typeof schema
/** One type for node-postgres, PGlite and a transaction of either, so repositories take any of them. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url))

export interface Database {
  db: Db
  kind: 'postgres' | 'pglite'
  /** Human-readable location, for start-up messages (never includes a password). */
  location: string
  /** Applies the migrations; with a migration URL, as that role, then renewing the service role's grants. */
  migrate(): Promise<void>
  /**
   * The readiness check (/health/ready): rejects within READY_TIMEOUT_MS when the database does
   * not answer, and never waits behind request work (on a server it has a connection of its own).
   */
  ready(): Promise<void>
  /** Connections now: open ones, idle ones, and requests waiting for one (the embedded database has one connection). */
  stats(): PoolStats
  close(): Promise<void>
}

export interface PoolStats { total: number; idle: number; waiting: number }

export interface DatabaseOptions {
  /** A postgres:// URL; when absent the embedded PGlite is used. */
  url?: string
  /**
   * The URL of the role that owns the schema (Postgres only). Set, migrate() runs as that role and
   * then grants `url`'s role the rows it needs, so the service's own connections never run DDL.
   */
  migrationUrl?: string
  /** PGlite data directory; `memory://` keeps everything in memory (tests). */
  dataDir?: string
  poolMax?: number
  /** DB_CONNECT_TIMEOUT_MS, DB_ACQUIRE_TIMEOUT_MS, DB_STATEMENT_TIMEOUT_MS (Postgres only); unset, their defaults. */
  connectTimeoutMs?: number
  acquireTimeoutMs?: number
  statementTimeoutMs?: number
  /** How the service's sessions are named in pg_stat_activity (Postgres only). */
  applicationName?: string
}

/** How long /health/ready waits for the database before it answers 503. */
export const READY_TIMEOUT_MS = 1000

/** The database settings of a configuration, as openDatabase takes them. */
export function databaseOptions(config: Config): DatabaseOptions {
  return {
    url: config.DATABASE_URL, migrationUrl: config.MIGRATION_DATABASE_URL, dataDir: config.DATA_DIR, poolMax: config.DB_POOL_MAX,
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS, acquireTimeoutMs: config.DB_ACQUIRE_TIMEOUT_MS, statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS
  }
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.migrationUrl && !options.url) throw new Error('a migration URL needs a Postgres server URL: the embedded database has one role')
  if (!options.url) return openPglite(options.dataDir ?? './data')
  // The defaults have one home, the config schema.
  const defaults = loadConfig({})
  return openPostgres({
    url: options.url,
    max: options.poolMax ?? defaults.DB_POOL_MAX,
    connectTimeoutMs: options.connectTimeoutMs ?? defaults.DB_CONNECT_TIMEOUT_MS,
    acquireTimeoutMs: options.acquireTimeoutMs ?? defaults.DB_ACQUIRE_TIMEOUT_MS,
    statementTimeoutMs: options.statementTimeoutMs ?? defaults.DB_STATEMENT_TIMEOUT_MS,
    applicationName: options.applicationName ?? 'rapport'
  }, options.migrationUrl)
}

function openPostgres(settings: PgSettings, migrationUrl: string | undefined): Database {
  const pool = createPool(settings)
  const readiness = readinessCheck(settings, READY_TIMEOUT_MS)
  const db = drizzlePg({ client: pool, schema })
  const safe = new URL(settings.url)
  safe.password = ''
  return {
    db,
    kind: 'postgres',
    location: `${safe.host}${safe.pathname}`,
    migrate: async () => {
      // On a connection of its own without statement_timeout: a migration of a large table may
      // rightly take longer than any request statement should.
      if (!migrationUrl) return migrateUntimed(settings)
      const { rows: [runtime] } = await pool.query<{ role: string }>('select current_user as role')
      await migrateAsOwner(migrationUrl, runtime!.role, MIGRATIONS_DIR)
    },
    ready: readiness.check,
    stats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: async () => { await Promise.all([pool.end(), readiness.close()]) }
  }
}

async function migrateUntimed(settings: PgSettings): Promise<void> {
  const client = new pg.Client(connectionConfig({ ...settings, statementTimeoutMs: 0 }))
  client.on('error', () => {})
  await client.connect()
  try {
    await migratePg(drizzlePg({ client, schema }), { migrationsFolder: MIGRATIONS_DIR })
  } finally {
    await client.end().catch(() => {})
  }
}

async function openPglite(dataDir: string): Promise<Database> {
  // Loaded only when used: the embedded engine costs ~50 MB of memory a server on pg never needs.
  const [{ PGlite }, { drizzle: drizzlePglite }, { migrate: migratePglite }] = await Promise.all([
    import('@electric-sql/pglite'), import('drizzle-orm/pglite'), import('drizzle-orm/pglite/migrator')
  ])
  const inMemory = dataDir.startsWith('memory://')
  const release = inMemory ? () => {} : lockDataDir(resolve(dataDir))
  let client: InstanceType<typeof PGlite>
  // Bounded memory: a small shared_buffers, and a first start's initdb in a child (pglite-memory.ts).
  const startParams = pgliteStartParams(PGlite.defaultStartParams)
  try {
    const pgdata = inMemory ? dataDir : join(resolve(dataDir), 'pgdata')
    if (!inMemory) await initPgliteDataDir(pgdata, startParams)
    client = await PGlite.create(pgdata, { startParams })
  } catch (err) {
    release()
    throw err
  }
  const db = drizzlePglite({ client, schema })
  return {
    db,
    kind: 'pglite',
    location: inMemory ? 'in memory' : resolve(dataDir),
    migrate: async () => { await migratePglite(db, { migrationsFolder: MIGRATIONS_DIR }) },
    // One connection, in this process: a ping raced against the bound, so a long statement ahead of
    // it in PGlite's queue makes the check fail fast rather than hang.
    ready: () => withinMs(client.query('select 1'), READY_TIMEOUT_MS),
    stats: () => ({ total: 1, idle: 1, waiting: 0 }),
    close: async () => {
      try { await client.close() } finally { release() }
    }
  }
}

/** `work`, or a rejection once `ms` have passed (the work itself goes on). */
async function withinMs(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => { reject(new Error('timeout expired')) }, ms) })
  try {
    await Promise.race([work, late])
  } finally {
    clearTimeout(timer)
  }
}
