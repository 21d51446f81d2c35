import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inArray } from 'drizzle-orm'
import type { Test } from 'tap'
import type { Db } from '../../src/db/client.ts'
import { observations } from '../../src/db/schema/index.ts'
import { makeWorld } from './factories.ts'
import { completeScores, session } from './observations.ts'

/**
 * The fault suite's tools (test/faults/): the real service in a process of its own, a write load
 * that records every answer, and a private Postgres cluster to stop and start.
 */
const ROOT = new URL('../..', import.meta.url).pathname
export const ADMIN_KEY = 'rk_fault-admin-key-000000000000000000000000000'

export interface Service { child: ChildProcess; origin: string; output: () => string; alive: () => boolean }

/** `src/server.ts` on `databaseUrl`, as `npm start` runs it; killed in teardown. */
export async function startService(t: Test, databaseUrl: string, env: Record<string, string> = {}): Promise<Service> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH, DATABASE_URL: databaseUrl, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'fatal', LOAD_RUBRICS_ON_START: 'false',
      ADMIN_API_KEY: ADMIN_KEY, RATE_LIMIT_PER_MINUTE: '1000000', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000', DATA_DIR: tmpdir(), ...env
    }
  })
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  let out = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr.on('data', (d: Buffer) => { out += d.toString() })
  const origin = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const found = /listening on (http:\/\/[^\s,]+)/.exec(out)?.[1]
      if (found) { clearInterval(timer); resolve(found) }
      if (child.exitCode !== null) { clearInterval(timer); reject(new Error(`the service exited: ${out}`)) }
    }, 50)
  })
  return { child, origin, output: () => out, alive: () => child.exitCode === null && child.signalCode === null }
}

/** A supervisor with a trainee to observe, written straight into the database. */
export async function seedWriter(db: Db): Promise<{ key: string; traineeId: string }> {
  const world = await makeWorld(db)
  return { key: world.keys.supervisor, traineeId: world.trainee.id }
}

export interface Answer { at: number; ms: number; status: number; code?: string; problemJson: boolean }
export interface LoadRecord {
  answers: Answer[]
  /** Observations whose creation was acknowledged (2xx), and whether their submission was. */
  acknowledged: Map<string, 'draft' | 'submitted'>
  /** Requests that got no HTTP answer at all (the process gone, a reset). */
  unanswered: number
}

/**
 * `workers` loops of the real write path until `stop()`: half create and submit in one request
 * (one multi-statement transaction), half create a draft and then submit it (two requests).
 */
export function writeLoad(origin: string, writer: { key: string; traineeId: string }, workers: number) {
  const record: LoadRecord = { answers: [], acknowledged: new Map(), unanswered: 0 }
  let running = true
  const headers = { authorization: `Bearer ${writer.key}`, 'content-type': 'application/json' }
  const send = async (path: string, body: unknown, extra: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown>; etag: string | null } | undefined> => {
    const started = Date.now()
    try {
      const res = await fetch(`${origin}${path}`, { method: 'POST', headers: { ...headers, ...extra }, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) })
      const json = await res.json() as Record<string, unknown>
      const problemJson = /^application\/problem\+json/.test(res.headers.get('content-type') ?? '')
      record.answers.push({ at: started, ms: Date.now() - started, status: res.status, problemJson, ...(typeof json.code === 'string' ? { code: json.code } : {}) })
      return { status: res.status, json, etag: res.headers.get('etag') }
    } catch {
      record.unanswered++
      return undefined
    }
  }
  const loop = async (n: number) => {
    for (let i = 0; running; i++) {
      const body = { ...session(writer.traineeId), scores: completeScores() }
      if ((n + i) % 2 === 0) {
        const res = await send('/v1/observations', { ...body, submit: true })
        if (res && res.status < 300) record.acknowledged.set(String(res.json.id), 'submitted')
      } else {
        const draft = await send('/v1/observations', body)
        if (!draft || draft.status >= 300) continue
        const id = String(draft.json.id)
        record.acknowledged.set(id, 'draft')
        const submitted = await send(`/v1/observations/${id}/submit`, {}, { 'if-match': draft.etag ?? '' })
        if (submitted && submitted.status < 300) record.acknowledged.set(id, 'submitted')
      }
    }
  }
  const done = Promise.all(Array.from({ length: workers }, (_, n) => loop(n)))
  return { record, stop: async () => { running = false; await done } }
}

const OUTAGE_CODES = ['database-unavailable', 'database-timeout']

/** The checks every fault test makes of a load's record, against the database afterwards. */
export async function checkRecord(t: Test, record: LoadRecord, db: Db): Promise<void> {
  t.equal(record.unanswered, 0, 'every request got an HTTP answer')
  const odd = record.answers.filter((a) => !(a.status < 300 || (a.status === 503 && a.problemJson && OUTAGE_CODES.includes(a.code ?? ''))))
  t.same(odd.slice(0, 5), [], `every answer is 2xx or a 503 database problem (${record.answers.length} answers)`)
  const ids = [...record.acknowledged.keys()]
  const found = new Map<string, string>()
  for (let i = 0; i < ids.length; i += 500) {
    for (const row of await db.select({ id: observations.id, status: observations.status }).from(observations).where(inArray(observations.id, ids.slice(i, i + 500)))) {
      found.set(row.id, row.status)
    }
  }
  const lost = ids.filter((id) => !found.has(id) || (record.acknowledged.get(id) === 'submitted' && found.get(id) === 'draft'))
  t.same(lost, [], `every acknowledged write is in the database (${ids.length} observations checked)`)
}

/** Polls `url` until it answers `status`; the milliseconds it took, or Infinity past `limitMs`. */
export async function msUntil(url: string, status: number, limitMs: number, init: RequestInit = {}): Promise<number> {
  const started = Date.now()
  while (Date.now() - started < limitMs) {
    try {
      if ((await fetch(url, { ...init, signal: AbortSignal.timeout(5000) })).status === status) return Date.now() - started
    } catch { /* not yet */ }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return Number.POSITIVE_INFINITY
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Where private clusters live; .ci/run removes whatever a crashed run left there. */
export const CLUSTER_PREFIX = 'rapport-fault-pg-'
const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin'

export interface Cluster { port: number; url: (db?: string) => string; stop: () => void; start: () => void }

/** A private Postgres cluster (initdb on a free port, trust auth on loopback), as the postgres user; removed in teardown. */
export async function privateCluster(t: Test): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), CLUSTER_PREFIX))
  chmodSync(dir, 0o755)
  const data = join(dir, 'data')
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim())
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim())
  chownSync(dir, uid, gid)
  const port = await freePort()
  const asPostgres = (cmd: string, args: string[]) => execFileSync('runuser', ['-u', 'postgres', '--', join(PG_BIN, cmd), ...args], { stdio: 'pipe' })
  asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'])
  const start = () => { asPostgres('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']) }
  const stop = () => { asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']) }
  t.teardown(() => {
    try { stop() } catch { /* already stopped */ }
    rmSync(dir, { recursive: true, force: true })
  })
  start()
  return { port, url: (db = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${db}`, stop, start }
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}
