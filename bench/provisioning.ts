import type { AddressInfo } from 'node:net'
import { buildApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { makeAccount, makeOrganization } from '../test/helpers/factories.ts'
import { BenchFailure, target, type Benchmark } from './lib/benchmark.ts'
import { deferCleanup } from './lib/cleanup.ts'
import { freshBenchDatabase } from './lib/database.ts'
import type { RequestSpec } from './lib/load.ts'
import { runOnce, type OnceResult } from './lib/once-load.ts'
import { BENCH_RATE_LIMITS, BenchSetupError, type BenchOptions } from './lib/options.ts'
import { countQueries } from './lib/query-counter.ts'
import { machine, printTable, printTargets } from './lib/report.ts'
import { summarize } from './lib/stats.ts'
import { buildService, procCpuSec, procMb, startService, stopService, type Entry } from './lib/service.ts'

/**
 * Provisioning people: SCIM `POST /scim/v2/Users` (as Okta sends it) next to `POST /v1/trainees`
 * for as many other people, over the same connections, in the same service; then the HR import of
 * as many rows again, dry run and apply, on a fresh service process whose peak RSS is the import's.
 */
const DEFAULT_USERS = 10_000
const DEFAULT_CONNECTIONS = 16
const PROBE_REQUESTS = 20
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'

type Side = 'trainees' | 'scim'
const LABEL: Record<Side, string> = { trainees: 'POST /v1/trainees', scim: 'POST /scim/v2/Users' }

function usersOf(env: Record<string, string | undefined>): number {
  const raw = env.BENCH_PROVISIONING_USERS
  if (raw === undefined || raw === '') return DEFAULT_USERS
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 50 || n > 100_000) throw new BenchSetupError(`BENCH_PROVISIONING_USERS must be a whole number from 50 to 100000, got "${raw}".`)
  return n
}

/** A person of its own for every number: name, work email, HR id, identity provider id. */
const person = (prefix: string, n: number) => {
  const given = `Given${prefix}${n}`
  const family = `Family${n}`
  return { given, family, name: `${given} ${family}`, email: `${prefix}.${n}@riverside.example`, hrId: `${prefix.toUpperCase()}-${String(n).padStart(6, '0')}` }
}

/** Okta's create request (its SCIM 2.0 reference), with the enterprise extension's employeeNumber mapped. */
function scimRequest(key: string, n: number): RequestSpec {
  const p = person('scim', n)
  return {
    method: 'POST', path: '/scim/v2/Users', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/scim+json' },
    body: JSON.stringify({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
      userName: p.email, name: { givenName: p.given, familyName: p.family }, emails: [{ primary: true, value: p.email, type: 'work' }],
      displayName: p.name, locale: 'en-US', externalId: `00u${String(n).padStart(17, '0')}`, groups: [], active: true,
      [ENTERPRISE]: { employeeNumber: p.hrId }
    })
  }
}

function traineeRequest(key: string, organizationId: string, n: number): RequestSpec {
  const p = person('v1', n)
  return {
    method: 'POST', path: '/v1/trainees', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ organizationId, name: p.name, email: p.email, externalHrId: p.hrId })
  }
}

/** The HR export: `rows` new trainees, quoted as HR systems write names ("Family, Given"). */
function importCsv(rows: number): string {
  const lines = ['externalHrId,name,email,role,discipline,cohortId,active']
  for (let n = 0; n < rows; n++) {
    const p = person('hr', n)
    lines.push(`${p.hrId},"${p.family}, ${p.given}",${p.email},trainee,${n % 3 === 0 ? 'nursing' : 'social work'},,true`)
  }
  return `${lines.join('\n')}\n`
}

function assertClean(what: string, r: OnceResult): void {
  if (r.non2xx === 0 && r.errors === 0) return
  const failure = r.firstFailure ? `\nfirst failing answer (${r.firstFailure.status}): ${r.firstFailure.body}` : ''
  throw new BenchFailure(`${what}: ${r.non2xx} non-2xx answers, ${r.errors} connection errors; status codes ${JSON.stringify(r.statusCodes)}.${failure}`)
}

/** Statements per create, counted in this process over a few sequential requests (people of their own). */
async function probeQueries(options: BenchOptions, url: string, make: Record<Side, (n: number) => RequestSpec>) {
  const config = loadConfig({ DATABASE_URL: url, DB_POOL_MAX: String(options.poolMax), LOG_LEVEL: 'silent', LOAD_RUBRICS_ON_START: 'false', ...BENCH_RATE_LIMITS })
  const app = await buildApp({ config, logger: false })
  const close = deferCleanup(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  const origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const out: Record<string, { perRequest: number; statements: Record<string, number> }> = {}
  for (const side of ['trainees', 'scim'] as const) {
    const { queries, statements } = await countQueries(async () => {
      for (let i = 0; i < PROBE_REQUESTS; i++) {
        const spec = make[side](1_000_000 + i)
        const res = await fetch(origin + spec.path, { method: spec.method, headers: spec.headers, body: spec.body ?? null })
        if (res.status !== 201) throw new BenchFailure(`${LABEL[side]} answered ${res.status} instead of 201:\n${(await res.text()).slice(0, 2000)}`)
        await res.arrayBuffer()
      }
    })
    out[side] = { perRequest: queries / PROBE_REQUESTS, statements: Object.fromEntries([...statements].map(([t, n]) => [t, n / PROBE_REQUESTS])) }
  }
  await close()
  return out
}

/** One import request, timed from the first byte sent to the last byte of the report. */
async function timedImport(origin: string, key: string, organizationId: string, csv: string, dryRun: boolean) {
  const started = performance.now()
  const res = await fetch(`${origin}/v1/organizations/${organizationId}/people/imports${dryRun ? '?dryRun=true' : ''}`, {
    method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' }, body: csv
  })
  const text = await res.text()
  const seconds = (performance.now() - started) / 1000
  if (res.status !== 200) throw new BenchFailure(`import (dryRun=${dryRun}) answered ${res.status}:\n${text.slice(0, 2000)}`)
  const report = JSON.parse(text) as { applied: boolean; totals: { create: number; error: number } }
  return { seconds, applied: report.applied, totals: report.totals, bytes: text.length }
}

const fmt = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : '-')

const benchmark: Benchmark = {
  name: 'provisioning',
  title: 'SCIM POST /Users vs POST /v1/trainees (same people count, same connections); HR import dry run and apply',
  async run(options) {
    const users = usersOf(process.env)
    const connections = process.env.BENCH_CONNECTIONS ? options.connections : DEFAULT_CONNECTIONS
    const entry: Entry = process.env.BENCH_ENTRY === 'source' ? 'source' : 'built'
    if (entry === 'built') buildService()
    const bench = await freshBenchDatabase(options.serverUrl, options.poolMax)
    const org = await makeOrganization(bench.database.db, 'Riverside Health')
    const { key } = await makeAccount(bench.database.db, 'integrator', { organizationId: org.id })
    const make: Record<Side, (n: number) => RequestSpec> = {
      trainees: (n) => traineeRequest(key, org.id, n),
      scim: (n) => scimRequest(key, n)
    }
    const env = machine()
    const warmup = Math.min(200, Math.floor(users / 10))
    const rounds = Math.min(options.rounds, Math.floor(users / 50))
    process.stdout.write(
      `Postgres ${bench.serverVersion}, database ${bench.name}; ${env.cpus} CPUs, load average ${env.loadAverage1m.toFixed(2)}; ` +
      `${entry} service, pool ${options.poolMax}; ${users} people per side at ${connections} connections ` +
      `(${warmup} more per side as warm-up), in ${rounds} part(s) alternating the order\n`
    )
    const queries = await probeQueries(options, bench.url, make)

    // Phase 1: both create routes in one service process.
    const service = await startService({ entry, databaseUrl: bench.url, poolMax: options.poolMax })
    const send = async (side: Side, from: number, count: number, what: string) => {
      const requests = Array.from({ length: count }, (_, i) => make[side](from + i))
      const cpu = procCpuSec(service.child.pid)
      const r = await runOnce({ origin: service.origin, requests, connections })
      assertClean(`${LABEL[side]} (${what})`, r)
      return { ...r, serviceCpuSec: procCpuSec(service.child.pid) - cpu }
    }
    for (const side of ['trainees', 'scim'] as const) await send(side, 2_000_000, warmup, 'warm-up')
    const parts: Record<Side, Array<OnceResult & { serviceCpuSec: number }>> = { trainees: [], scim: [] }
    const perPart = Math.ceil(users / rounds)
    for (let part = 0; part < rounds; part++) {
      const count = Math.min(perPart, users - part * perPart)
      const order: Side[] = part % 2 === 0 ? ['trainees', 'scim'] : ['scim', 'trainees']
      for (const side of order) {
        const r = await send(side, part * perPart, count, `part ${part + 1}`)
        parts[side].push(r)
        process.stdout.write(`  part ${part + 1} ${side}: ${count} created in ${r.durationSec.toFixed(2)} s, ${r.rps.toFixed(0)} req/s, p50 ${fmt(r.latencyMs.p50)} ms, p99 ${fmt(r.latencyMs.p99)} ms\n`)
      }
    }
    const createPeakMb = procMb(service.child.pid, 'VmHWM')
    await stopService(service)
    const total = (side: Side) => {
      const runs = parts[side]
      const seconds = runs.reduce((s, r) => s + r.durationSec, 0)
      const created = runs.reduce((s, r) => s + r.responses - r.non2xx, 0)
      const cpuMs = runs.reduce((s, r) => s + r.serviceCpuSec, 0) * 1000
      return { created, seconds, rps: created / seconds, latencyMs: summarize(runs.flatMap((r) => r.latencies)), serviceCpuMsPerRequest: cpuMs / created }
    }
    const kept = { trainees: total('trainees'), scim: total('scim') }

    // Phase 2: a fresh service process, so the peak RSS is the import's alone (not phase 1's heap).
    const csv = importCsv(users)
    const importer = await startService({ entry, databaseUrl: bench.url, poolMax: options.poolMax })
    await new Promise((resolve) => setTimeout(resolve, 500))
    const restMb = procMb(importer.child.pid, 'VmRSS')
    const dry = await timedImport(importer.origin, key, org.id, csv, true)
    const apply = await timedImport(importer.origin, key, org.id, csv, false)
    const importPeakMb = procMb(importer.child.pid, 'VmHWM')
    await stopService(importer)
    for (const [what, r, applied] of [['dry run', dry, false], ['apply', apply, true]] as const) {
      if (r.totals.create !== users || r.totals.error !== 0 || r.applied !== applied) {
        throw new BenchFailure(`import ${what}: expected ${users} creates, no errors, applied ${applied}; got ${JSON.stringify(r.totals)}, applied ${r.applied}`)
      }
    }

    process.stdout.write(`\nCreating ${users} people per side (all parts; p50/p99 over every request):\n`)
    printTable(
      ['route', 'req/s', 'p50 ms', 'p99 ms', 'seconds', 'queries/req', 'service CPU ms/req'],
      (['trainees', 'scim'] as const).map((side) => {
        const k = kept[side]
        return [LABEL[side], k.rps, k.latencyMs.p50, k.latencyMs.p99, k.seconds, queries[side]!.perRequest, k.serviceCpuMsPerRequest]
      })
    )
    process.stdout.write(`service peak RSS over the create phase: ${fmt(createPeakMb)} MB\n`)
    process.stdout.write(`\nImport of ${users} rows (${(csv.length / 1024).toFixed(0)} kB CSV) on a fresh service process (RSS at rest ${fmt(restMb)} MB):\n`)
    printTable(['request', 'seconds', 'report kB'], [['dry run (dryRun=true)', dry.seconds, dry.bytes / 1024], ['apply', apply.seconds, apply.bytes / 1024]])
    process.stdout.write(`import service peak RSS (VmHWM, dry run and apply): ${fmt(importPeakMb)} MB\n\n`)

    const targets = [
      target('throughput SCIM/trainees', kept.scim.rps / kept.trainees.rps, '>=', 0.7),
      target('import dry run seconds', dry.seconds, '<=', 10),
      target('import apply seconds', apply.seconds, '<=', 10),
      target('import peak RSS MB', importPeakMb, '<=', 300)
    ]
    printTargets(targets)
    await bench.drop()
    return {
      valid: true,
      targets,
      data: {
        machine: env, postgres: bench.serverVersion, options: { ...options, serverUrl: undefined }, entry, users, connections, warmup, rounds,
        queries, kept, parts: Object.fromEntries(Object.entries(parts).map(([k, runs]) => [k, runs.map(({ latencies: _l, ...r }) => r)])),
        createPeakMb, import: { restMb, dry, apply, peakMb: importPeakMb }
      }
    }
  }
}

export default benchmark
