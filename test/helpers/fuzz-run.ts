import type { Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { buildTestApp } from './app.ts'
import { requestParts, shapesOf, type Parts, type Slot } from './access-matrix.ts'
import { inGroup, NO_RATE_LIMITS, type MATRIX_GROUPS } from './access-matrix-run.ts'
import { HEADER_CASES, LONG, RAW_BODIES, SEED, samplesFor } from './fuzz-values.ts'
import { branches, fillPath, loadOperations, queryParams, type JsonSchema, type Operation } from './openapi-operations.ts'
import { plainValue } from './request-values.ts'
import { freshMaker } from './tenancy-fresh.ts'
import { addKey, buildTenancyWorld, ROLES, type TenancyWorld } from './tenancy-world.ts'

/**
 * Fuzzing every operation of the OpenAPI document: a plain valid request is sent with each role's
 * key and without one; then, one place at a time (a path parameter, a query parameter, a member of
 * the body at any depth, the whole body, a header), it carries a hostile value from a fixed seed.
 * No answer may be a 5xx, and every error must be application/problem+json (or what the document
 * says that status answers with).
 */
type KeyName = (typeof ROLES)[number] | 'no key'

interface Case { what: string; key: KeyName; deepOnly?: boolean; path?: Record<string, string>; query?: Record<string, string | string[]>; headers?: Record<string, string>; body?: unknown; raw?: { contentType?: string; payload: string } }

/** Long strings shortened, so a failure prints readably; the seed and the case name replay it. */
const shorten = (value: unknown) => JSON.parse(JSON.stringify(value ?? null, (_, v: unknown) =>
  typeof v === 'string' && v.length > 120 ? `<${v.length} chars: ${JSON.stringify(v.slice(0, 24))}...>` : v)) as unknown

type Location = Array<string | number>

/** Every place in a body schema a value can go, to depth 4 (array items as index 0). */
function locations(s: JsonSchema, at: Location = [], out: Location[] = []): Location[] {
  const b = branches(s)[0] ?? s
  if (at.length >= 4) return out
  if (b.properties) {
    for (const [k, v] of Object.entries(b.properties)) {
      out.push([...at, k])
      locations(v, [...at, k], out)
    }
  } else if (b.type === 'array' && b.items) {
    out.push([...at, 0])
    locations(b.items, [...at, 0], out)
  }
  return out
}

const isText = (s: JsonSchema | undefined) => s !== undefined && branches(s).some((b) => b.type === 'string' && !b.format && !b.enum)

/** The schema of one place in a body. */
function schemaAt(s: JsonSchema, where: Location): JsonSchema | undefined {
  let at: JsonSchema | undefined = s
  for (const step of where) {
    const b: JsonSchema | undefined = at && (branches(at)[0] ?? at)
    at = typeof step === 'number' ? b?.items : b?.properties?.[step]
  }
  return at
}

/** A plain value for a container on the way to a hostile one (a reference gets an id of nothing). */
function plainOr(s: JsonSchema, name: string): unknown {
  try {
    return plainValue(s, name)
  } catch {
    return '00000000-0000-4000-8000-000000000000'
  }
}

/** A copy of `body` with `value` at `where`, building plain containers on the way. */
function withValue(body: unknown, schema: JsonSchema, where: Location, value: unknown): unknown {
  const [head, ...rest] = where
  if (head === undefined) return value
  const s = branches(schema)[0] ?? schema
  if (typeof head === 'number') {
    const items = Array.isArray(body) && body.length > 0 ? [...body] : [plainOr(s.items ?? {}, 'item')]
    items[0] = withValue(items[0], s.items ?? {}, rest, value)
    return items
  }
  const object = body && typeof body === 'object' && !Array.isArray(body) ? { ...body as Record<string, unknown> } : {}
  const member = s.properties?.[head] ?? {}
  object[head] = rest.length === 0 ? value : withValue(head in object ? object[head] : plainOr(member, head), member, rest, value)
  return object
}

/** The fuzz cases of one operation: the plain request with every key, then one hostile place at a time. */
function casesOf(op: Operation, index: number, deep: KeyName): Case[] {
  const keys: KeyName[] = [...ROLES, 'no key']
  const { strings, values } = samplesFor(op.operationId, 80)
  let next = 0
  const str = () => strings[next++ % strings.length]!
  const val = () => values[next++ % values.length]!
  const cases: Omit<Case, 'key'>[] = []
  for (const p of op.parameters.filter((x) => x.in === 'path')) {
    cases.push({ what: `path {${p.name}}`, path: { [p.name]: str() } }, { what: `path {${p.name}} 70 KB`, path: { [p.name]: LONG } })
  }
  for (const p of queryParams(op)) {
    cases.push({ what: `query ${p.name}`, query: { [p.name]: next % 3 === 0 ? String(val()) : str() } })
    // Text Postgres cannot store, in every text filter: never left to chance.
    if (isText(p.schema)) cases.push({ what: `query ${p.name} with NUL`, query: { [p.name]: 'a\u0000b' }, deepOnly: true })
  }
  cases.push({ what: 'query: unknown and repeated parameters', query: { unknownFilter: str(), ['__proto__']: '1', limit: ['1', '2'] } })
  if (op.body) {
    const all = locations(op.body)
    const top = all.filter((l) => l.length === 1)
    const deeper = all.filter((l) => l.length > 1)
    const chosen = [...top, ...deeper.filter((_, i) => i % Math.max(1, Math.ceil(deeper.length / 6)) === 0)]
    for (const where of chosen) cases.push({ what: `body /${where.join('/')}`, body: { at: where, value: next % 2 === 0 ? val() : str() } })
    for (const where of all.filter((l) => isText(schemaAt(op.body!, l)))) {
      cases.push({ what: `body /${where.join('/')} with NUL`, body: { at: where, value: 'a\u0000b' }, deepOnly: true })
    }
    cases.push({ what: 'body: unknown members', body: { at: ['unknownMember'], value: str() } })
    for (let i = 0; i < 4; i++) {
      const raw = RAW_BODIES[(index * 4 + i) % RAW_BODIES.length]!
      cases.push({ what: `raw body: ${raw.what}`, raw })
    }
  } else if (op.method !== 'GET') {
    cases.push({ what: 'raw body where none is expected', raw: RAW_BODIES[index % RAW_BODIES.length]! })
  }
  for (let i = 0; i < 3; i++) {
    const headers = HEADER_CASES[(index * 3 + i) % HEADER_CASES.length]!
    cases.push({ what: `headers ${Object.keys(headers).join(', ')}`, headers })
  }
  // Most cases go with the key that gets furthest into the operation; the others take turns.
  return [
    ...keys.map((key) => ({ what: 'the plain request', key })),
    ...cases.map((c, i) => ({ ...c, key: c.deepOnly || i % 2 === 0 ? deep : keys[(index + i) % keys.length]! }))
  ]
}

/** Ids the plain requests use: made for the fuzzing, so no successful write disables a key in use. */
async function fuzzTargets(w: TenancyWorld) {
  const fresh = freshMaker(w)
  const targets: Record<string, string> = {
    organization: await fresh.organization('A'), program: await fresh.program('A'), cohort: await fresh.cohort('A'),
    trainee: await fresh.trainee('A'), supervisor: await fresh.supervisor('A'), assignment: await fresh.assignment('A'),
    account: await fresh.account('A', 'supervisor'), apiKey: await addKey(w.db, w.adminAccountId), certificate: w.sides.A.certificate,
    scimGroup: await fresh.scimGroup('A'), webhookEndpoint: await fresh.webhookEndpoint('A', 'active'), webhookDelivery: await fresh.webhookDelivery('A')
  }
  return (slot: Slot, shape: string | undefined) =>
    Promise.resolve(slot.kind === 'observation' ? w.sides.A.observations[(shape ?? 'draft') as 'draft'] : targets[slot.kind]!)
}

/** What is wrong with an answer, if anything. */
function fault(op: Operation, res: LightMyRequestResponse): string | undefined {
  if (res.statusCode >= 500) return `${res.statusCode}`
  const type = String(res.headers['content-type'] ?? '').split(';')[0]!.trim()
  if (res.statusCode >= 400 && type !== 'application/problem+json' && !(op.documented[String(res.statusCode)] ?? []).includes(type)) {
    return `${res.statusCode} as ${type || 'no content type'}`
  }
  return undefined
}

async function sendCase(w: TenancyWorld, op: Operation, plain: Parts, c: Case) {
  const body = c.body === undefined ? plain.body : withValue(plain.body, op.body ?? {}, (c.body as { at: Location }).at, (c.body as { value: unknown }).value)
  const key = c.key === 'no key' ? undefined : w.keys[c.key]
  const headers: Record<string, string> = { ...plain.headers, ...(key ? { authorization: `Bearer ${key}` } : {}), ...c.headers }
  const url = fillPath(op, { ...plain.pathValues, ...c.path })
  const query = { ...plain.query, ...c.query }
  if (c.raw?.contentType) headers['content-type'] = c.raw.contentType
  const payload = c.raw ? c.raw.payload : body === undefined ? undefined : JSON.stringify(body)
  if (payload !== undefined && !c.raw) headers['content-type'] ??= 'application/json'
  const request = { method: op.method, url: shorten(url), query: shorten(query), headers: shorten({ ...headers, authorization: c.key }), payload: c.raw ? shorten(c.raw.payload) : shorten(body) }
  try {
    const res = await w.app.inject({ method: op.method, url, query, headers, ...(payload === undefined ? {} : { payload }) })
    return { request, res }
  } catch (error) {
    // The test client refuses what no HTTP client could send (a NUL in a header): nothing reached the app.
    return { request, error: String(error) }
  }
}

/** Fuzzes every operation of one group (split as the access matrix is, to fit tap's time limit). */
export async function runFuzz(t: Test, group: keyof typeof MATRIX_GROUPS): Promise<TenancyWorld> {
  const { app, db, adminKey } = await buildTestApp(t, NO_RATE_LIMITS)
  const w = await buildTenancyWorld(app, db, adminKey)
  const valueOf = await fuzzTargets(w)
  const operations = (await loadOperations(app)).filter((op) => inGroup(op, group))
  t.ok(operations.length >= 5, `${operations.length} operations in group ${group} (seed ${SEED})`)
  let sent = 0
  const summary: string[] = []
  for (const [index, op] of operations.entries()) {
    const plain = await requestParts(w, op, shapesOf(op)[0]!, valueOf)
    const failures: unknown[] = []
    const run = async (c: Case) => {
      const { request, res } = await sendCase(w, op, plain, c)
      sent++
      const wrong = res && fault(op, res)
      if (wrong) {
        failures.push({ case: c.what, fault: wrong, request, answer: res.body.slice(0, 300) })
        summary.push(`${op.operationId} | ${c.what} | ${c.key} | ${wrong} | ${res.body.slice(0, 80)}`)
      }
      return res
    }
    // The first role other than admin that the plain request lets in leads the hostile cases.
    let deep: KeyName = 'admin'
    for (const c of casesOf(op, index, deep).filter((x) => x.what === 'the plain request')) {
      const res = await run(c)
      if (res && res.statusCode < 300 && c.key !== 'no key' && deep === 'admin') deep = c.key
    }
    for (const c of casesOf(op, index, deep).filter((x) => x.what !== 'the plain request')) await run(c)
    t.same(failures, [], `${op.method} ${op.path} (${op.operationId}): no 5xx, every error a problem`)
  }
  t.comment(`${sent} requests, seed ${SEED}`)
  // One line per fault (operation | case | key | fault | answer), to read the whole run at a glance.
  for (const line of summary) t.comment(`fault: ${line}`)
  return w
}
