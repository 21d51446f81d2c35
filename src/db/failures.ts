import type { DatabaseErrorClass } from '../lib/metrics.ts'

/**
 * Which database failures are an outage (the database is down, unreachable, failing over, too
 * slow) rather than a refusal of the request or a bug: those are a 503 with Retry-After, never a
 * 500. Both drivers: node-postgres (server SQLSTATEs, socket errors, the pool's own errors) and
 * PGlite (closed, or its WebAssembly engine aborted).
 */
export interface DatabaseFailure {
  class: DatabaseErrorClass
  code: 'database-unavailable' | 'database-timeout'
  detail: string
}

/** No pooled connection came free within DB_ACQUIRE_TIMEOUT_MS (src/db/pg-pool.ts raises it). */
export class AcquireTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no database connection came free within ${timeoutMs} ms`)
    this.name = 'AcquireTimeoutError'
  }
}

const UNREACHABLE = 'The database cannot be reached or dropped the connection; nothing was changed unless the answer says so.'

const unavailable = (cls: DatabaseErrorClass, detail = UNREACHABLE): DatabaseFailure => ({ class: cls, code: 'database-unavailable', detail })

/** SQLSTATEs of an outage: the server's own words for "not now". */
function fromSqlState(state: string): DatabaseFailure | undefined {
  if (state === '57014') {
    return { class: 'statement_timeout', code: 'database-timeout', detail: 'A database statement ran too long and was cancelled; the change, if any, was rolled back.' }
  }
  if (state === '25006') return unavailable('read_only', 'The database is read-only (a failover is under way); nothing was changed.')
  // 57P01 admin shutdown / terminated, 57P02 crash shutdown, 57P03 cannot connect now (starting up),
  // 57P04 database dropped, 57P05 idle session timeout; class 08 connection exceptions; 25P03 idle
  // in transaction timeout (the server closed the session).
  if (/^57P0[1-5]$/.test(state) || state.startsWith('08') || state === '25P03') return unavailable('connection')
  // Class 53: too many connections, out of memory or disk on the server.
  if (state.startsWith('53')) return unavailable('other')
  return undefined
}

/** Socket errors of a connection (Node's codes). */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED'])

/**
 * Errors the drivers raise without a SQLSTATE, by message: node-postgres's client and pool
 * (pg 8.x, pg-pool 3.x) and PGlite (0.x). test/database-failures.test.ts produces each it can
 * from a real driver, so a rewording in an upgrade fails there.
 */
const DRIVER_MESSAGES: Array<[RegExp, DatabaseErrorClass]> = [
  [/^Connection terminated/, 'connection'], // unexpectedly | due to connection timeout
  [/^timeout expired$/, 'connection'], // the client's own connect timeout
  [/^timeout exceeded when trying to connect$/, 'acquire_timeout'], // pg-pool's, should its timeout ever be set
  [/^Client has encountered a connection error and is not queryable$/, 'connection'],
  [/^Client was closed and is not queryable$/, 'connection'],
  [/^Cannot use a pool after calling end on the pool$/, 'connection'], // closing down
  [/^PGlite is (closed|closing)$/, 'connection'],
  [/^Aborted\(/, 'other'] // Emscripten's abort: the embedded engine is gone
]

function fromOne(e: unknown): DatabaseFailure | undefined {
  if (e instanceof AcquireTimeoutError) {
    return unavailable('acquire_timeout', 'No database connection came free in time (the service is busy or the database slow); nothing was changed.')
  }
  const { code, message, name } = e as { code?: unknown; message?: unknown; name?: unknown }
  // WebAssembly.RuntimeError (a trap: out of memory, unreachable) or Emscripten's exit(): the embedded engine is gone.
  if (name === 'RuntimeError' || name === 'ExitStatus') return unavailable('other')
  if (typeof code === 'string' && SOCKET_CODES.has(code)) return unavailable('connection')
  if (typeof code === 'string') return /^[0-9A-Z]{5}$/.test(code) ? fromSqlState(code) : undefined
  if (typeof message !== 'string') return undefined
  const hit = DRIVER_MESSAGES.find(([pattern]) => pattern.test(message))
  return hit ? unavailable(hit[1]) : undefined
}

/** The outage an error stands for, looking through the ORM's wrapping (`cause`); undefined for any other error. */
export function databaseFailure(err: unknown): DatabaseFailure | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const failure = fromOne(e)
    if (failure) return failure
  }
  return undefined
}
