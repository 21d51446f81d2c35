import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'
import { buildApp, type App } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import type { PoolStats } from '../../src/db/client.ts'
import { ensureAdmin } from '../../src/bootstrap.ts'
import { ADMIN_KEY, SECRETS_KEY, SIGNING_KEY_PEM } from './app.ts'
import { freshDatabase } from './database.ts'

/** A promise the test opens: requests to /test/slow wait on it, so they stay in flight as long as the test wants. */
export class Gate {
  private openIt: () => void = () => undefined
  private promise = this.reset()
  reset(): Promise<void> {
    this.promise = new Promise((resolve) => { this.openIt = resolve })
    return this.promise
  }

  wait(): Promise<void> { return this.promise }
  open(): void { this.openIt() }
}

export interface ShedApp {
  app: App
  adminKey: string
  gate: Gate
  /** Requests to /test/slow whose handler has finished (answered or not). */
  finished: () => number
  /** Overrides what the pool reports waiting (the embedded database never has waiters). */
  setPoolWaiting: (n: number | undefined) => void
}

/**
 * The whole app on a fresh database with two routes of the test's own: `/test/slow` (held at
 * the gate) and `/test/fail` (throws, a 500). The pool's stats can be overridden, so the pool
 * bound is tested on both databases alike.
 */
export async function buildShedApp(t: Test, env: Record<string, string>): Promise<ShedApp> {
  const config = loadConfig({
    LOG_LEVEL: 'silent', LOAD_RUBRICS_ON_START: 'false', ADMIN_API_KEY: ADMIN_KEY, CREDENTIAL_SIGNING_KEY: SIGNING_KEY_PEM, SECRETS_KEY,
    // The event-loop bound only where a test sets it: on a busy machine it would shed what a test counts on.
    RATE_LIMIT_PER_MINUTE: '1000000', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000', SHED_EVENT_LOOP_DELAY_MS: '0', ...env
  })
  const fresh = await freshDatabase()
  await ensureAdmin(fresh.database.db, ADMIN_KEY)
  let waiting: number | undefined
  const stats = (): PoolStats => {
    const real = fresh.database.stats()
    return waiting === undefined ? real : { ...real, waiting }
  }
  const app = await buildApp({ config, database: { ...fresh.database, stats }, logger: false })
  const gate = new Gate()
  let finished = 0
  // Hidden, as /metrics is: the OpenAPI document stays the API's.
  app.get('/test/slow', { schema: { hide: true } }, async () => {
    try {
      await gate.wait()
      return { ok: true }
    } finally {
      finished++
    }
  })
  app.get('/test/fail', { schema: { hide: true } }, async () => { throw new Error('a bug') })
  await app.ready()
  t.teardown(async () => {
    gate.open()
    await app.close()
    await fresh.drop()
  })
  return { app, adminKey: ADMIN_KEY, gate, finished: () => finished, setPoolWaiting: (n) => { waiting = n } }
}

/** Listens on a free port of the loopback interface; the origin to send real HTTP requests to. Shedding happens only there: app.inject() bypasses the server. */
export async function listen(app: App): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  return originOf(app)
}

/** The origin of an app already listening (listen). */
export const originOf = (app: App): string => `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`

/** Waits (a few event-loop turns at a time, 5 s at most) until `done()` holds; the caller then asserts it. */
export async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 10))
}
