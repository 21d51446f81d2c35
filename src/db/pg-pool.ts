import pg from 'pg'
import { AcquireTimeoutError } from './failures.ts'

/**
 * node-postgres, made to survive its server: every connection has an error listener (a
 * connection that dies while a transaction holds it would otherwise be an unhandled 'error'
 * event that ends the process), a dead connection leaves the pool, and every wait is bounded.
 */
export interface PgSettings {
  url: string
  max: number
  /** Opening a connection gives up after this long (DB_CONNECT_TIMEOUT_MS). */
  connectTimeoutMs: number
  /** A caller waits this long at most for a pooled connection (DB_ACQUIRE_TIMEOUT_MS). */
  acquireTimeoutMs: number
  /** Postgres statement_timeout of every connection (DB_STATEMENT_TIMEOUT_MS); 0 = none. */
  statementTimeoutMs: number
  /** pg_stat_activity.application_name, so an operator can tell (and terminate) the service's sessions. */
  applicationName: string
}

/** What every connection of the service is opened with. */
export function connectionConfig(s: Omit<PgSettings, 'max' | 'acquireTimeoutMs'>): pg.ClientConfig {
  return {
    connectionString: s.url,
    // A parameter in the URL wins over this one (node-postgres reads the URL last).
    application_name: s.applicationName,
    connectionTimeoutMillis: s.connectTimeoutMs,
    // Sent at connect as a startup parameter; 0 is not sent, so the server's own setting applies.
    ...(s.statementTimeoutMs > 0 ? { statement_timeout: s.statementTimeoutMs } : {}),
    // A peer that vanished without a reset (a failed-over host, a dropped NAT entry) is found out by
    // the kernel's keepalive probes rather than never; it also keeps idle connections alive through
    // middleboxes that drop quiet ones.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000
  }
}

type Release = (err?: Error | boolean) => void

/**
 * One connection of the pool. pg-pool gives each checkout a `release` that throws when called
 * twice; this one is idempotent, so the error listener can hand a dead connection back at once
 * (the pool then drops it, freeing its slot) and the holder's own release later is a no-op. That
 * matters when drizzle's `begin` fails: it never releases such a client, which would otherwise
 * hold its pool slot forever.
 */
function clientClass(connectTimeoutMs: number): typeof pg.Client {
  return class ServiceClient extends pg.Client {
    #release: Release | undefined

    constructor(config: pg.ClientConfig) {
      // The pool passes its own options; the connect timeout is this class's (the pool's own
      // connectionTimeoutMillis would also cut a new connection short at the acquire timeout).
      super({ ...config, connectionTimeoutMillis: connectTimeoutMs })
      this.on('error', (err: Error) => { this.release(err) })
    }

    set release(fn: Release) { this.#release = fn }
    get release(): Release {
      return (err) => {
        const release = this.#release
        this.#release = undefined
        release?.(err)
      }
    }
  }
}

type ConnectCallback = (err: Error | undefined, client: pg.PoolClient | undefined, done: Release) => void
const NOOP: Release = () => {}

/**
 * The pool, with DB_ACQUIRE_TIMEOUT_MS applied to every checkout: drizzle's transactions
 * (`connect()`) and its single statements (`query()`, which pg-pool routes through `connect`).
 * A caller that gave up leaves its place in pg-pool's queue; when a connection reaches it, the
 * connection goes straight back.
 */
class ServicePool extends pg.Pool {
  constructor(options: pg.PoolConfig, private readonly acquireTimeoutMs: number) {
    super(options)
  }

  override connect(): Promise<pg.PoolClient>
  override connect(callback: ConnectCallback): void
  override connect(callback?: ConnectCallback): Promise<pg.PoolClient> | void {
    if (callback) {
      this.acquire((err, client) => { callback(err, client, client?.release ?? NOOP) })
      return
    }
    return new Promise((resolve, reject) => {
      this.acquire((err, client) => { if (client) resolve(client); else reject(err ?? new Error('no client')) })
    })
  }

  private acquire(done: (err: Error | undefined, client?: pg.PoolClient) => void): void {
    let late = false
    const timer = setTimeout(() => {
      late = true
      done(new AcquireTimeoutError(this.acquireTimeoutMs))
    }, this.acquireTimeoutMs)
    timer.unref()
    super.connect((err, client, release) => {
      clearTimeout(timer)
      if (!late) done(err, client)
      else if (client) release()
    })
  }
}

export function createPool(s: PgSettings): pg.Pool {
  // Not the pool's connectionTimeoutMillis: it would bound the queue wait and a new connection
  // alike; ServicePool and ServiceClient bound each on its own.
  const { connectionTimeoutMillis: _, ...options } = connectionConfig(s)
  const pool = new ServicePool({ ...options, max: s.max, Client: clientClass(s.connectTimeoutMs) }, s.acquireTimeoutMs)
  // An idle connection's error (the server restarted, an idle timeout): pg-pool drops it; the next
  // checkout opens a new one.
  pool.on('error', () => {})
  return pool
}

/**
 * The readiness check's own connection, apart from the pool, so /health/ready never waits behind
 * request work: one `select 1` within `timeoutMs`, reconnecting when the connection broke or the
 * check timed out. Concurrent checks share one round trip.
 */
export function readinessCheck(s: Omit<PgSettings, 'max' | 'acquireTimeoutMs'>, timeoutMs: number): { check: () => Promise<void>; close: () => Promise<void> } {
  let client: pg.Client | undefined
  let running: Promise<void> | undefined
  const drop = (c: pg.Client | undefined) => {
    if (c && client === c) client = undefined
    c?.end().catch(() => {})
  }
  const once = async (): Promise<void> => {
    let c = client
    if (!c) {
      const fresh = new pg.Client({ ...connectionConfig({ ...s, connectTimeoutMs: Math.min(s.connectTimeoutMs, timeoutMs), statementTimeoutMs: timeoutMs }) })
      fresh.on('error', () => { drop(fresh) })
      client = c = fresh
      await c.connect()
    }
    await c.query('select 1')
  }
  const check = (): Promise<void> => {
    running ??= new Promise<void>((resolve, reject) => {
      const held = client
      const timer = setTimeout(() => {
        drop(client ?? held)
        reject(new Error('timeout expired'))
      }, timeoutMs)
      once().then(resolve, (err: unknown) => {
        drop(client)
        reject(err as Error)
      }).finally(() => { clearTimeout(timer) })
    }).finally(() => { running = undefined })
    return running
  }
  return { check, close: async () => { const c = client; client = undefined; await c?.end() } }
}
