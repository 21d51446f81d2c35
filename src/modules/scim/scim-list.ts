import { sql, type SQL } from 'drizzle-orm'
import { problem } from '../../errors.ts'
import { whereOfFilter, type AttributeResolver } from './scim-filter.ts'
import { MAX_RESULTS, URN, type ListQuery, type ScimResource } from './scim-schemas.ts'
import { isObject, keyOf } from './scim-json.ts'

/** RFC 7644 §3.4.2.4: 1-based startIndex (below 1 reads as 1), count cut to [0, MAX_RESULTS]; both lenient, as the RFC asks. */
export function pageOf(q: { startIndex?: string | undefined; count?: string | undefined }): { startIndex: number; count: number } {
  const int = (s: string | undefined) => (s === undefined || !/^\s*-?\d+\s*$/.test(s) ? undefined : Number.parseInt(s, 10))
  const start = int(q.startIndex)
  const count = int(q.count)
  if ((q.startIndex !== undefined && start === undefined) || (q.count !== undefined && count === undefined)) {
    throw problem('scim-invalid-value', 'startIndex and count are integers.')
  }
  return { startIndex: Math.max(1, start ?? 1), count: Math.min(MAX_RESULTS, Math.max(0, count ?? MAX_RESULTS)) }
}

export function sortOrderOf(s: string | undefined): 'asc' | 'desc' {
  if (s === undefined || s.toLowerCase() === 'ascending') return 'asc'
  if (s.toLowerCase() === 'descending') return 'desc'
  throw problem('scim-invalid-value', `sortOrder is "ascending" or "descending", not "${s}".`)
}

/**
 * What a list query (RFC 7644 §3.4.2) asks of any resource type, as SQL: the caller's scope and the
 * filter, the sort column (a sortBy the type cannot sort by is a 400 invalidValue), the page.
 */
export function listPlan(q: ListQuery, attributes: AttributeResolver, scope: SQL) {
  const { startIndex, count } = pageOf(q)
  let sortBy: SQL | undefined
  if (q.sortBy !== undefined) {
    sortBy = attributes(q.sortBy.toLowerCase())?.sql
    if (!sortBy) throw problem('scim-invalid-value', `Sorting by "${q.sortBy}" is not supported.`)
  }
  const where = sql`${scope} and ${whereOfFilter(q.filter, attributes) ?? sql`true`}`
  return { startIndex, where, sortBy, descending: sortOrderOf(q.sortOrder) === 'desc', offset: startIndex - 1, limit: count }
}

export function listResponse(resources: ScimResource[], totalResults: number, startIndex: number) {
  return { schemas: [URN.list], totalResults, startIndex, itemsPerPage: resources.length, Resources: resources }
}

/**
 * An attribute name of `attributes`, `excludedAttributes`, `sortBy` or a PATCH path, as key segments:
 * `name.givenName` → [name, givenName]; a URN-qualified name is cut at the extension's URN
 * (`urn:…:enterprise:2.0:User:manager.value` → [urn…User, manager, value]); the core schema's URN is dropped.
 */
export function attributePath(name: string, extensions: readonly string[], core: string): string[] {
  const lower = name.toLowerCase()
  if (lower.startsWith(`${core.toLowerCase()}:`)) return name.slice(core.length + 1).split('.')
  const urn = extensions.find((u) => lower === u.toLowerCase() || lower.startsWith(`${u.toLowerCase()}:`))
  if (urn) return lower === urn.toLowerCase() ? [urn] : [urn, ...name.slice(urn.length + 1).split('.')]
  return name.split('.')
}


function pick(from: Record<string, unknown>, to: Record<string, unknown>, path: string[]): void {
  const [head, ...rest] = path
  const key = head === undefined ? undefined : keyOf(from, head)
  if (key === undefined) return
  const value = from[key]
  if (rest.length === 0) { to[key] = value; return }
  if (Array.isArray(value)) {
    // A sub-attribute of a multi-valued attribute (emails.value) keeps that member of every value.
    const target = (Array.isArray(to[key]) ? to[key] : value.map(() => ({}))) as Record<string, unknown>[]
    value.forEach((v, i) => { if (isObject(v)) pick(v, target[i]!, rest) })
    to[key] = target
  } else if (isObject(value)) {
    const target = isObject(to[key]) ? to[key] : {}
    pick(value, target, rest)
    to[key] = target
  }
}

function drop(from: Record<string, unknown>, path: string[]): void {
  const [head, ...rest] = path
  const key = head === undefined ? undefined : keyOf(from, head)
  if (key === undefined) return
  const value = from[key]
  if (rest.length === 0) delete from[key]
  else if (Array.isArray(value)) value.forEach((v) => { if (isObject(v)) drop(v, rest) })
  else if (isObject(value)) drop(value, rest)
}

export interface Projection { attributes?: string | undefined; excludedAttributes?: string | undefined }

/** RFC 7644 §3.9: only `attributes`, or all but `excludedAttributes`; `id` and `schemas` are always returned. */
export function project(resource: ScimResource, q: Projection, extensions: readonly string[], core: string): ScimResource {
  const names = (s: string | undefined) => (s ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '')
  const include = names(q.attributes)
  const exclude = names(q.excludedAttributes)
  if (include.length > 0) {
    const out: Record<string, unknown> = { schemas: resource.schemas, id: resource.id }
    for (const name of include) pick(resource, out, attributePath(name, extensions, core))
    return out
  }
  if (exclude.length === 0) return resource
  const out = structuredClone(resource)
  for (const name of exclude) {
    const path = attributePath(name, extensions, core)
    if (path.length === 1 && ['id', 'schemas'].includes(path[0]!.toLowerCase())) continue
    drop(out, path)
  }
  return out
}
