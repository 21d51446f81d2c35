import { problem } from '../../errors.ts'
import { URN, type ScimResource } from './scim-schemas.ts'
import { get, isObject, type Json } from './scim-json.ts'

/**
 * A SCIM User (RFC 7643 §4.1 with the enterprise extension §4.3 and Rapport's) to and from a
 * trainee or supervisor with its scim_users row. Reading is lenient the way Okta and Entra need:
 * attribute names in any case, booleans as "True"/"False", `manager` as a bare id.
 */
export type PersonRole = 'trainee' | 'supervisor'

export interface UserView {
  id: string
  role: PersonRole
  userName: string
  externalId: string | null
  givenName: string | null
  familyName: string | null
  formattedName: string | null
  displayName: string | null
  department: string | null
  managerId: string | null
  managerDisplayName: string | null
  name: string
  email: string
  discipline: string | null
  externalHrId: string | null
  active: boolean
  created: Date
  lastModified: Date
  version: string
}

/** What a resource asks the person to be; `active` and `role` are undefined when the resource does not say. */
export type UserState = Omit<UserView, 'id' | 'role' | 'active' | 'created' | 'lastModified' | 'version'> & {
  active: boolean | undefined
  role: PersonRole | undefined
}

export const USER_EXTENSIONS = [URN.enterprise, URN.rapport] as const


/** Drops null, undefined and empty objects, so no response carries a null (RFC 7643 §2.5: unassigned is absent). */
function compact(o: Json): Json {
  const out: Json = {}
  for (const [k, v] of Object.entries(o)) {
    const value = isObject(v) ? compact(v) : v
    if (value === null || value === undefined || (isObject(value) && Object.keys(value).length === 0)) continue
    out[k] = value
  }
  return out
}

/**
 * `displayName` shows the person's name (edited through /v1 too). For a PATCH it is only what the
 * identity provider sent, so that a changed name part renames a person whose name was derived from them.
 */
export function toUserResource(u: UserView, baseUrl: string, o: { forPatch?: boolean; groups?: Array<{ id: string; displayName: string }> } = {}): ScimResource {
  const groups = (o.groups ?? []).map((g) => ({ value: g.id, display: g.displayName, type: 'direct', $ref: `${baseUrl}/scim/v2/Groups/${g.id}` }))
  return compact({
    schemas: [URN.user, URN.enterprise, URN.rapport],
    id: u.id,
    externalId: u.externalId,
    userName: u.userName,
    name: { formatted: u.formattedName, givenName: u.givenName, familyName: u.familyName },
    displayName: o.forPatch ? u.displayName : u.name,
    emails: [{ value: u.email, type: 'work', primary: true }],
    active: u.active,
    ...(groups.length > 0 && !o.forPatch ? { groups } : {}),
    [URN.enterprise]: {
      employeeNumber: u.externalHrId,
      department: u.department,
      manager: u.managerId === null ? null : { value: u.managerId, displayName: u.managerDisplayName }
    },
    [URN.rapport]: { role: u.role, discipline: u.discipline },
    meta: {
      resourceType: 'User',
      created: u.created.toISOString(),
      lastModified: u.lastModified.toISOString(),
      location: `${baseUrl}/scim/v2/Users/${u.id}`,
      version: u.version
    }
  })
}

const invalid = (attribute: string, detail: string) => problem('scim-invalid-value', `${attribute} ${detail}.`)

function text(o: unknown, name: string, attribute: string, maxLength: number): string | null {
  const v = get(o, name)
  if (v === undefined || v === null || v === '') return null
  if (typeof v !== 'string') throw invalid(attribute, 'must be a string')
  const trimmed = v.trim()
  if (trimmed.length > maxLength) throw invalid(attribute, `must be at most ${maxLength} characters`)
  return trimmed === '' ? null : trimmed
}

/** Entra sends booleans as "True" / "False". */
export function booleanOf(v: unknown, attribute: string): boolean | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v === 'boolean') return v
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true'
  throw invalid(attribute, 'must be true or false')
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

/** The work email, else the primary one, else the first; with none, a userName that is an address (Okta's usual). */
function emailOf(resource: Json, userName: string): string {
  const emails = get(resource, 'emails')
  if (emails !== undefined && emails !== null && !Array.isArray(emails)) throw invalid('emails', 'must be a list')
  const list = (emails ?? []).filter(isObject)
  const chosen = list.find((e) => String(get(e, 'type') ?? '').toLowerCase() === 'work')
    ?? list.find((e) => booleanOf(get(e, 'primary'), 'emails.primary') === true) ?? list[0]
  const value = chosen === undefined ? (EMAIL.test(userName) ? userName : null) : text(chosen, 'value', 'emails.value', 254)
  if (value === null) throw invalid('emails', 'must hold a work email (the person signs in with it)')
  if (!EMAIL.test(value)) throw invalid('emails.value', `"${value}" is not an email address`)
  return value
}

function managerOf(enterprise: unknown): { id: string | null; displayName: string | null } {
  const m = get(enterprise, 'manager')
  if (m === undefined || m === null || m === '') return { id: null, displayName: null }
  if (typeof m === 'string') return { id: m.slice(0, 200), displayName: null }
  if (!isObject(m)) throw invalid('manager', 'must be an object with a value')
  return { id: text(m, 'value', 'manager.value', 200), displayName: text(m, 'displayName', 'manager.displayName', 200) }
}

/** Kept exactly as sent (caseExact, not trimmed): only an absent or empty value clears it. */
function externalIdOf(resource: Json): string | null {
  const v = get(resource, 'externalId')
  if (v === undefined || v === null || v === '') return null
  if (typeof v !== 'string') throw invalid('externalId', 'must be a string')
  if (v.length > 200) throw invalid('externalId', 'must be at most 200 characters')
  return v
}

export function userStateOf(resource: ScimResource): UserState {
  const userName = text(resource, 'userName', 'userName', 200)
  if (userName === null) throw invalid('userName', 'is required')
  const name = get(resource, 'name')
  if (name !== undefined && name !== null && !isObject(name)) throw invalid('name', 'must be an object')
  const enterprise = get(resource, URN.enterprise)
  const rapport = get(resource, URN.rapport)
  const givenName = text(name, 'givenName', 'name.givenName', 100)
  const familyName = text(name, 'familyName', 'name.familyName', 100)
  const formattedName = text(name, 'formatted', 'name.formatted', 200)
  const role = text(rapport, 'role', 'role', 20)
  if (role !== null && role !== 'trainee' && role !== 'supervisor') throw invalid(`${URN.rapport}:role`, 'must be trainee or supervisor')
  const manager = managerOf(enterprise)
  const displayName = text(resource, 'displayName', 'displayName', 200)
  const joined = [givenName, familyName].filter((x) => x !== null).join(' ')
  return {
    userName,
    externalId: externalIdOf(resource),
    givenName,
    familyName,
    formattedName,
    displayName,
    department: text(enterprise, 'department', 'department', 200),
    managerId: manager.id,
    managerDisplayName: manager.displayName,
    name: displayName ?? formattedName ?? (joined === '' ? userName : joined.slice(0, 200)),
    email: emailOf(resource, userName),
    discipline: text(rapport, 'discipline', 'discipline', 100),
    externalHrId: text(enterprise, 'employeeNumber', 'employeeNumber', 100),
    active: booleanOf(get(resource, 'active'), 'active'),
    role: role ?? undefined
  }
}
