import type { LightMyRequestResponse } from 'fastify'
import { branches, fillPath, pathParams, queryParams, type JsonSchema, type Operation } from './openapi-operations.ts'
import { plainValue } from './request-values.ts'
import type { FreshMaker } from './tenancy-fresh.ts'
import { OBSERVATION_STATES, type ROLES, type Side, type TenancyWorld } from './tenancy-world.ts'

/**
 * Which fixture fills a reference: the only hand-written part of the access matrix. Everything
 * else (which operations exist, where their references sit) is read from the OpenAPI document; a
 * reference the table does not know fails the test, so a new one cannot slip past it.
 */
export type Kind = 'organization' | 'program' | 'cohort' | 'trainee' | 'supervisor' | 'assignment' | 'observation' | 'account' | 'apiKey' | 'certificate'
  | 'scimGroup' | 'webhookEndpoint' | 'webhookDelivery'
const BY_NAME: Record<string, Kind> = {
  organizationId: 'organization', programId: 'program', programIds: 'program', cohortId: 'cohort', traineeId: 'trainee',
  supervisorId: 'supervisor', assignmentId: 'assignment', observationId: 'observation', accountId: 'account', certificateId: 'certificate',
  actorAccountId: 'account', objectId: 'trainee'
}
/** `{id}` takes its kind from the collection before it: /v1/cohorts/{id}. */
const BY_COLLECTION: Record<string, Kind> = {
  organizations: 'organization', programs: 'program', cohorts: 'cohort', trainees: 'trainee', supervisors: 'supervisor',
  assignments: 'assignment', observations: 'observation', accounts: 'account', 'api-keys': 'apiKey', certificates: 'certificate',
  'scim-groups': 'scimGroup', 'webhook-endpoints': 'webhookEndpoint', 'webhook-deliveries': 'webhookDelivery'
}
/** Path parameters that name no tenant's object: the shared rubric, revision numbers, a public verification code. */
const NOT_TENANT: Record<string, (w: TenancyWorld) => string> = {
  key: (w) => w.rubricKey, version: () => '1', revision: () => '1', code: (w) => w.sides.A.verificationCode
}
/** Kinds with several shapes worth trying: each observation state, each kind of person's account. */
const SHAPES: Partial<Record<Kind, readonly string[]>> = {
  observation: OBSERVATION_STATES, account: ['supervisor', 'trainee', 'coordinator', 'integrator'],
  // Reactivating an active endpoint, or rotating a deactivated one's secret, is a 409: each is tried on both.
  webhookEndpoint: ['active', 'deactivated']
}

export interface Slot { where: 'path' | 'query' | 'body'; name: string; kind: Kind; many: boolean; required: boolean }

const kindOfName = (op: Operation, name: string, schema: JsonSchema): Kind | undefined => {
  const kind = BY_NAME[name]
  if (kind) return kind
  const uuid = schema.format === 'uuid' || schema.items?.format === 'uuid' || (schema.anyOf ?? []).some((b) => b.format === 'uuid')
  if (uuid) throw new Error(`${op.operationId}: reference ${name} is not in the access matrix's table`)
  return undefined
}

/** The object a body is made of: the body itself, or the element of a body that is a list of rows (an import). */
const bodyObject = (op: Operation): JsonSchema | undefined => (op.body?.type === 'array' ? op.body.items : op.body)

/** Where the operation names tenant objects: path parameters, query filters and body members. */
export function slotsOf(op: Operation): Slot[] {
  const slots: Slot[] = []
  const segments = op.path.split('/')
  for (const p of pathParams(op)) {
    if (NOT_TENANT[p.name]) continue
    const kind = p.name === 'id' ? BY_COLLECTION[segments[segments.indexOf('{id}') - 1] ?? ''] : kindOfName(op, p.name, p.schema)
    if (!kind) throw new Error(`${op.operationId}: path parameter {${p.name}} is not in the access matrix's table`)
    slots.push({ where: 'path', name: p.name, kind, many: false, required: true })
  }
  for (const p of queryParams(op)) {
    const kind = kindOfName(op, p.name, p.schema)
    if (kind) slots.push({ where: 'query', name: p.name, kind, many: false, required: p.required === true })
  }
  const body = bodyObject(op)
  for (const [name, schema] of Object.entries(body?.properties ?? {})) {
    const kind = kindOfName(op, name, schema)
    const many = schema.type === 'array'
    if (kind) slots.push({ where: 'body', name, kind, many, required: (body?.required ?? []).includes(name) })
  }
  return slots
}

/**
 * One request shape: which optional references it carries, which shape each path object has, and
 * the value of each required enum member of the body (an account's role decides which reference
 * it may carry, so every role is tried).
 */
export interface Shape { slots: Slot[]; shapes: Record<string, string | undefined>; choices: Record<string, unknown> }

const cross = <T>(combos: Record<string, T>[], name: string, options: readonly T[]) =>
  combos.flatMap((c) => options.map((o) => ({ ...c, [name]: o })))

/** The required references plus, in turn, none or one of the optional ones; crossed with object shapes and enum choices. */
export function shapesOf(op: Operation): Shape[] {
  const all = slotsOf(op)
  const required = all.filter((s) => s.required)
  const optional = all.filter((s) => !s.required)
  let choices: Record<string, unknown>[] = [{}]
  for (const name of op.body?.required ?? []) {
    const values = branches(op.body?.properties?.[name] ?? {})[0]?.enum
    if (values && values.length <= 8) choices = cross(choices, name, values)
  }
  const out: Shape[] = []
  for (const slots of [required, ...optional.map((s) => [...required, s])]) {
    let shapes: Record<string, string | undefined>[] = [{}]
    for (const s of slots.filter((x) => x.where === 'path')) shapes = cross(shapes, s.name, SHAPES[s.kind] ?? [undefined])
    for (const shape of shapes) for (const choice of choices) out.push({ slots, shapes: shape, choices: choice })
  }
  return out
}

export type RoleName = (typeof ROLES)[number]

/**
 * Fresh objects for writes, kept until a request that used them succeeds: a refused request
 * changes nothing (one transaction per request), so the next one may use the same object.
 */
export function freshPool(fresh: FreshMaker) {
  const kept = new Map<string, string>()
  return {
    fresh,
    async take(key: string, make: () => Promise<string>, used: string[]): Promise<string> {
      const id = kept.get(key) ?? await make()
      kept.set(key, id)
      used.push(key)
      return id
    },
    spend(used: string[]) {
      for (const key of used) kept.delete(key)
    }
  }
}
export type FreshPool = ReturnType<typeof freshPool>

/** Fills one slot from side A or B: shared fixtures for reads, fresh objects wherever a write could change them. */
async function valueFor(w: TenancyWorld, pool: FreshPool, op: Operation, slot: Slot, given: string | undefined, side: Side, role: RoleName, used: string[])
  : Promise<string> {
  const s = w.sides[side]
  const shape = given ?? SHAPES[slot.kind]?.[0]
  const renew = op.method !== 'GET' && (slot.where === 'path' || slot.kind === 'trainee' || slot.kind === 'supervisor')
  if (renew) {
    const { fresh } = pool
    const key = `${slot.kind} ${shape ?? ''} ${side} ${slot.kind === 'apiKey' ? role : ''}`
    return pool.take(key, () => {
      switch (slot.kind) {
        case 'observation': return fresh.observation(side, shape as (typeof OBSERVATION_STATES)[number])
        case 'account': return fresh.account(side, shape as 'supervisor')
        case 'apiKey': return fresh.apiKey(side, role)
        case 'webhookEndpoint': return fresh.webhookEndpoint(side, shape as 'active')
        default: return fresh[slot.kind](side)
      }
    }, used)
  }
  switch (slot.kind) {
    case 'observation': return s.observations[shape as (typeof OBSERVATION_STATES)[number]]
    case 'account': return s.accounts[shape as 'supervisor'].id
    case 'apiKey': return s.accounts[role === 'admin' ? 'coordinator' : role].keyId
    default: return s[slot.kind]
  }
}

export interface Sent { method: string; url: string; query: Record<string, string>; body?: unknown }

/** A request to an operation, before the key: its path, query, body and If-Match (any version). */
export interface Parts { pathValues: Record<string, string>; query: Record<string, string>; body?: Record<string, unknown>; headers: Record<string, string> }

/** Builds the plainest valid request for a shape, asking `valueOf` for each slot's id. */
export async function requestParts(w: TenancyWorld, op: Operation, shape: Shape, valueOf: (slot: Slot, shape: string | undefined) => Promise<string>): Promise<Parts> {
  const pathValues: Record<string, string> = {}
  for (const [name, value] of Object.entries(NOT_TENANT)) pathValues[name] = value(w)
  const query: Record<string, string> = {}
  // The body's required plain members and its first optional one (so that an update or an
  // amendment changes something); references come from the slots, enum members from the shape.
  const shapeOfBody = bodyObject(op)
  const plain = Object.entries(shapeOfBody?.properties ?? {}).filter(([name]) => !BY_NAME[name])
  const isRequired = (name: string) => shapeOfBody?.required?.includes(name) === true
  const members = [...plain.filter(([name]) => isRequired(name)), ...plain.filter(([name]) => !isRequired(name)).slice(0, 1)]
  // Rows checked one by one (an import) have no members in their schema: the documented example row stands in.
  const example = op.body?.type === 'array' && !shapeOfBody?.properties ? (op.bodyExample as Array<Record<string, unknown>> | undefined)?.[0] : undefined
  const body: Record<string, unknown> | undefined = shapeOfBody
    ? { ...example, ...Object.fromEntries(members.map(([k, v]) => [k, plainValue(v, k)])), ...shape.choices }
    : undefined
  for (const slot of shape.slots) {
    const value = await valueOf(slot, shape.shapes[slot.name])
    if (slot.where === 'path') pathValues[slot.name] = value
    else if (slot.where === 'query') query[slot.name] = value
    else body![slot.name] = slot.many ? [value] : value
  }
  const headers: Record<string, string> = {}
  if (op.parameters.some((p) => p.in === 'header' && p.name.toLowerCase() === 'if-match')) headers['if-match'] = '*'
  return { pathValues, query, ...(body ? { body } : {}), headers }
}

/** Sends the operation with every slot filled from the side `sides[slot.name]` says (A when absent). */
export async function send(w: TenancyWorld, pool: FreshPool, op: Operation, shape: Shape, role: RoleName, sides: Record<string, Side>)
  : Promise<{ sent: Sent; res: LightMyRequestResponse }> {
  const used: string[] = []
  const { pathValues, query, body, headers } = await requestParts(w, op, shape,
    (slot, name) => valueFor(w, pool, op, slot, name, sides[slot.name] ?? 'A', role, used))
  // A list-of-rows body (an import) is sent as one row.
  const payload = body && op.body?.type === 'array' ? [body] : body
  const sent: Sent = { method: op.method, url: fillPath(op, pathValues), query, ...(payload ? { body: payload } : {}) }
  const res = await w.app.inject({
    method: op.method, url: sent.url, query, headers: { ...headers, authorization: `Bearer ${w.keys[role]}` }, ...(payload ? { payload } : {})
  })
  if (res.statusCode < 300) pool.spend(used)
  return { sent, res }
}

export const is2xx = (res: LightMyRequestResponse) => res.statusCode >= 200 && res.statusCode < 300

/** B's ids found in an answer (CSV, JSON or text; PDFs are compressed and are not searched). */
export function bIdsIn(w: TenancyWorld, res: LightMyRequestResponse): string[] {
  if (/application\/pdf/.test(String(res.headers['content-type']))) return []
  const found = new Set<string>()
  for (const m of res.body.matchAll(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g)) if (w.bIds.has(m[0])) found.add(m[0])
  return [...found]
}

/** How a case is shown when it fails: enough to replay it. */
export const describe = (role: RoleName, sent: Sent, res: LightMyRequestResponse) => ({
  role, request: `${sent.method} ${sent.url}${Object.keys(sent.query).length ? `?${new URLSearchParams(sent.query)}` : ''}`,
  body: sent.body, status: res.statusCode, answer: res.body.slice(0, 300)
})
