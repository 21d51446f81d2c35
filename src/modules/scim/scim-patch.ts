import { filter as matches, type Filter } from 'scim2-parse-filter'
import { problem } from '../../errors.ts'
import { parseFilter } from './scim-filter.ts'
import { attributePath } from './scim-list.ts'
import type { PatchOperation, ScimResource } from './scim-schemas.ts'
import { isObject, keyOf as memberKey, type Json } from './scim-json.ts'

/**
 * RFC 7644 §3.5.2 PATCH, applied to a copy of the resource's JSON. The caller maps the result back
 * and writes it in one transaction, so a PATCH is atomic: an operation that fails throws before
 * anything is written. Accepts what Okta and Entra send: `op` in any case, path-less values whose
 * keys are dotted (`name.givenName`) or URN-qualified, and filtered paths (`emails[type eq "work"].value`).
 */
export interface PatchSchema { core: string; extensions: readonly string[] }

/** The member's spelling of `name`, else `name` itself (a member to create). */
const keyOf = (o: Json, name: string): string => memberKey(o, name) ?? name
const READ_ONLY = ['id', 'meta']

interface Target { segments: string[]; valueFilter?: Filter; subAttribute?: string }

/** `emails[type eq "work"].value` → emails, its filter and sub-attribute; anything else → its segments. */
function targetOf(path: string, schema: PatchSchema): Target {
  const open = path.indexOf('[')
  if (open < 0) return { segments: attributePath(path, schema.extensions, schema.core) }
  const close = path.lastIndexOf(']')
  if (close < open) throw problem('scim-invalid-path', `The path "${path}" has an unclosed "[".`)
  const rest = path.slice(close + 1)
  if (rest !== '' && !rest.startsWith('.')) throw problem('scim-invalid-path', `The path "${path}" is not valid.`)
  let valueFilter: Filter
  try {
    valueFilter = parseFilter(path.slice(open + 1, close))
  } catch {
    throw problem('scim-invalid-path', `The filter in path "${path}" does not parse.`)
  }
  return {
    segments: attributePath(path.slice(0, open), schema.extensions, schema.core),
    valueFilter,
    ...(rest === '' ? {} : { subAttribute: rest.slice(1) })
  }
}

/** The object holding the last segment, created on the way for add / replace. */
function parentOf(resource: Json, segments: string[], create: boolean): Json | undefined {
  let at: Json = resource
  for (const segment of segments.slice(0, -1)) {
    const key = keyOf(at, segment)
    if (!isObject(at[key])) {
      if (!create) return undefined
      at[key] = {}
    }
    at = at[key] as Json
  }
  return at
}

/** add and replace of a complex value merge its sub-attributes (RFC 7644 §3.5.2.1, §3.5.2.3); add to a list appends. */
function setAt(resource: Json, segments: string[], value: unknown, op: 'add' | 'replace'): void {
  const parent = parentOf(resource, segments, true)!
  const key = keyOf(parent, segments.at(-1)!)
  const current = parent[key]
  if (isObject(current) && isObject(value)) {
    for (const [k, v] of Object.entries(value)) setAt(current, [k], v, op)
  } else if (op === 'add' && Array.isArray(current)) {
    parent[key] = [...current, ...(Array.isArray(value) ? value : [value])]
  } else {
    parent[key] = value
  }
}

/** Elements of a multi-valued attribute a filter selects; with no match, add and replace of `[type eq "x"]` create one. */
function applyFiltered(resource: Json, t: Target, op: string, value: unknown, path: string): void {
  const parent = parentOf(resource, t.segments, op !== 'remove')
  const key = parent ? keyOf(parent, t.segments.at(-1)!) : ''
  const list = parent && Array.isArray(parent[key]) ? parent[key] as unknown[] : []
  const test = matches(t.valueFilter!)
  const hits = list.filter((v) => isObject(v) && test(v))
  if (op === 'remove') {
    if (!parent) return
    parent[key] = t.subAttribute === undefined
      ? list.filter((v) => !hits.includes(v))
      : list.map((v) => { if (hits.includes(v)) delete (v as Json)[keyOf(v as Json, t.subAttribute!)]; return v })
    return
  }
  if (hits.length === 0) {
    const f = t.valueFilter!
    if (f.op !== 'eq' || typeof f.compValue !== 'string') throw problem('scim-no-target', `Nothing matches the path "${path}".`)
    const created: Json = { [f.attrPath]: f.compValue }
    list.push(created)
    hits.push(created)
    parent![key] = list
  }
  for (const hit of hits as Json[]) {
    if (t.subAttribute !== undefined) setAt(hit, [t.subAttribute], value, op as 'add' | 'replace')
    else if (isObject(value)) for (const [k, v] of Object.entries(value)) setAt(hit, [k], v, op as 'add' | 'replace')
    else throw problem('scim-invalid-value', `The value for "${path}" must be an object of sub-attributes.`)
  }
}

function removeAt(resource: Json, t: Target, value: unknown): void {
  const parent = parentOf(resource, t.segments, false)
  if (!parent) return
  const key = keyOf(parent, t.segments.at(-1)!)
  // A value list on remove names the members to take out (how Entra removes group members).
  if (Array.isArray(parent[key]) && Array.isArray(value)) {
    const gone = new Set(value.map((v) => (isObject(v) ? String(v.value) : String(v))))
    parent[key] = (parent[key] as unknown[]).filter((v) => !(isObject(v) && gone.has(String(v.value))))
  } else {
    delete parent[key]
  }
}

function refuseReadOnly(resource: Json, segments: string[], value: unknown): boolean {
  const root = segments[0]!.toLowerCase()
  if (!READ_ONLY.includes(root)) return false
  // Some clients echo the id back in a path-less value: the same id is no change.
  if (root === 'id' && segments.length === 1 && value === resource.id) return true
  throw problem('scim-mutability', `"${segments.join('.')}" is read-only.`)
}

function applyOne(resource: Json, o: PatchOperation, schema: PatchSchema): void {
  const op = o.op.toLowerCase()
  if (op !== 'add' && op !== 'replace' && op !== 'remove') {
    throw problem('scim-invalid-value', `The op "${o.op}" is not add, replace or remove.`)
  }
  if (o.path === undefined || o.path === '') {
    if (op === 'remove') throw problem('scim-no-target', 'A remove operation needs a path.')
    if (!isObject(o.value)) throw problem('scim-invalid-value', `A path-less ${op} needs an object of attributes as its value.`)
    for (const [name, v] of Object.entries(o.value)) {
      // A key may itself be a path: `name.givenName`, `urn:…:enterprise:2.0:User:department`, or a whole extension.
      const t = targetOf(name, schema)
      if (t.valueFilter) applyFiltered(resource, t, op, v, name)
      else if (!refuseReadOnly(resource, t.segments, v)) setAt(resource, t.segments, v, op)
    }
    return
  }
  const t = targetOf(o.path, schema)
  if (refuseReadOnly(resource, t.segments, o.value)) return
  if (t.valueFilter) return applyFiltered(resource, t, op, o.value, o.path)
  if (op === 'remove') return removeAt(resource, t, o.value)
  if (o.value === undefined) throw problem('scim-invalid-value', `The ${op} of "${o.path}" has no value.`)
  setAt(resource, t.segments, o.value, op)
}

/** The resource after every operation, in order; the input is not changed. */
export function applyPatch(resource: ScimResource, operations: PatchOperation[], schema: PatchSchema): ScimResource {
  const next = structuredClone(resource)
  for (const o of operations) applyOne(next, o, schema)
  return next
}
