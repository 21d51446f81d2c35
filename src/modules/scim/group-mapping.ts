import { problem } from '../../errors.ts'
import type { GroupRow, MemberRow } from './groups-repository.ts'
import { groupVersionOf } from './groups-repository.ts'
import { URN, type ScimResource } from './scim-schemas.ts'
import { get, isObject } from './scim-json.ts'

/**
 * A SCIM Group (RFC 7643 §4.2) to and from a scim_groups row and its members. Members are Users of
 * the group's organization (`value` is the User's id); nested groups are not kept.
 */
export interface GroupState { displayName: string; externalId: string | null; members: string[] }

const invalid = (detail: string) => problem('scim-invalid-value', detail)

/** `forPatch`: members as bare `{ value }` and always present, so that PATCH can add to an empty list. */
export function toGroupResource(g: GroupRow, members: MemberRow[], baseUrl: string, o: { forPatch?: boolean } = {}): ScimResource {
  const listed = members.map((m) => (o.forPatch
    ? { value: m.scimUserId }
    : { value: m.scimUserId, display: m.display, type: 'User', $ref: `${baseUrl}/scim/v2/Users/${m.scimUserId}` }))
  return {
    schemas: [URN.group],
    id: g.id,
    ...(g.externalId === null ? {} : { externalId: g.externalId }),
    displayName: g.displayName,
    ...(listed.length > 0 || o.forPatch ? { members: listed } : {}),
    meta: {
      resourceType: 'Group',
      created: g.createdAt.toISOString(),
      lastModified: g.updatedAt.toISOString(),
      location: `${baseUrl}/scim/v2/Groups/${g.id}`,
      version: groupVersionOf(g)
    }
  }
}

function membersOf(resource: ScimResource): string[] {
  const members = get(resource, 'members')
  if (members === undefined || members === null) return []
  if (!Array.isArray(members)) throw invalid('members must be a list of { "value": "<User id>" }.')
  const ids: string[] = []
  for (const m of members) {
    const value = get(m, 'value')
    if (!isObject(m) || typeof value !== 'string' || value === '') throw invalid('Each member must be an object with the User\'s id as "value".')
    const type = get(m, 'type')
    if (type !== undefined && type !== null && String(type).toLowerCase() !== 'user') {
      throw invalid(`Members are Users; a member of type "${String(type)}" (nested groups) is not supported.`)
    }
    if (!ids.includes(value)) ids.push(value)
  }
  if (ids.length > 10_000) throw invalid('A group holds at most 10000 members.')
  return ids
}

export function groupStateOf(resource: ScimResource): GroupState {
  const displayName = get(resource, 'displayName')
  if (typeof displayName !== 'string' || displayName.trim() === '') throw invalid('displayName is required.')
  if (displayName.trim().length > 200) throw invalid('displayName must be at most 200 characters.')
  const externalId = get(resource, 'externalId')
  if (externalId !== undefined && externalId !== null && typeof externalId !== 'string') throw invalid('externalId must be a string.')
  if (typeof externalId === 'string' && externalId.length > 200) throw invalid('externalId must be at most 200 characters.')
  return { displayName: displayName.trim(), externalId: externalId === '' || externalId === undefined ? null : externalId, members: membersOf(resource) }
}
