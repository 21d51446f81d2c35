import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sql } from 'drizzle-orm'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres'
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator'
import pg from 'pg'
import * as schema from './schema/index.ts'
import { lockDataDir } from './lock.ts'
import { migrateAsOwner } from './roles.ts'

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
  ping(): Promise<void>
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
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.migrationUrl && !options.url) throw new Error('a migration URL needs a Postgres server URL: the embedded database has one role')
  return options.url ? openPostgres(options.url, options.poolMax ?? 20, options.migrationUrl) : openPglite(options.dataDir ?? './data')
}

function openPostgres(url: string, max: number, migrationUrl: string | undefined): Database {
  const pool = new pg.Pool({ connectionString: url, max })
  // An idle client's error (server restart) must not crash the process; the next query reconnects.
  pool.on('error', () => {})
  const db = drizzlePg({ client: pool, schema })
  const safe = new URL(url)
  safe.password = ''
  return {
    db,
    kind: 'postgres',
    location: `${safe.host}${safe.pathname}`,
    migrate: async () => {
      if (!migrationUrl) return migratePg(db, { migrationsFolder: MIGRATIONS_DIR })
      const { rows: [runtime] } = await pool.query<{ role: string }>('select current_user as role')
      await migrateAsOwner(migrationUrl, runtime!.role, MIGRATIONS_DIR)
    },
    ping: async () => { await db.execute(sql`select 1`) },
    stats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: () => pool.end()
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
  try {
    client = await PGlite.create(inMemory ? dataDir : join(resolve(dataDir), 'pgdata'))
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
    ping: async () => { await db.execute(sql`select 1`) },
    stats: () => ({ total: 1, idle: 1, waiting: 0 }),
    close: async () => {
      try { await client.close() } finally { release() }
    }
  }
}
