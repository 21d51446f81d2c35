import { MAX_RESULTS, URN } from './scim-schemas.ts'

/**
 * RFC 7644 §4 discovery: what this service provider supports, stated truthfully (identity
 * providers read it to decide what to send), and RFC 7643 §7 schema definitions of the attributes
 * Rapport keeps. Attributes it does not keep are not listed (they are accepted and ignored).
 */
type Attr = Record<string, unknown>

const attr = (name: string, o: Partial<{ type: string; multiValued: boolean; required: boolean; caseExact: boolean; mutability: string; returned: string; uniqueness: string; description: string; subAttributes: Attr[]; referenceTypes: string[] }> = {}): Attr => ({
  name, type: o.type ?? 'string', multiValued: o.multiValued ?? false, description: o.description ?? name,
  required: o.required ?? false, caseExact: o.caseExact ?? false, mutability: o.mutability ?? 'readWrite',
  returned: o.returned ?? 'default', uniqueness: o.uniqueness ?? 'none',
  ...(o.subAttributes ? { subAttributes: o.subAttributes } : {}), ...(o.referenceTypes ? { referenceTypes: o.referenceTypes } : {})
})

const meta = (resourceType: string, location: string) => ({ resourceType, location })

const USER_ATTRIBUTES: Attr[] = [
  attr('userName', { required: true, uniqueness: 'server', description: 'Unique within the organization, compared ignoring case.' }),
  attr('name', { type: 'complex', description: 'The parts of the person\'s name.', subAttributes: [
    attr('formatted'), attr('givenName'), attr('familyName')
  ] }),
  attr('displayName', { description: 'The name Rapport shows; from name when absent.' }),
  attr('emails', { type: 'complex', multiValued: true, description: 'The work email: the person signs in with it.', subAttributes: [
    attr('value', { required: true }), attr('type', { description: 'Always work.' }), attr('primary', { type: 'boolean' })
  ] }),
  attr('active', { type: 'boolean', description: 'False once deactivated (DELETE deactivates too); the person keeps their records.' }),
  attr('groups', { type: 'complex', multiValued: true, mutability: 'readOnly', description: 'The groups the user is in; changed through the Groups.', subAttributes: [
    attr('value', { mutability: 'readOnly', caseExact: true }), attr('$ref', { type: 'reference', mutability: 'readOnly', referenceTypes: ['Group'] }),
    attr('display', { mutability: 'readOnly' }), attr('type', { mutability: 'readOnly', description: 'Always direct: groups hold no groups.' })
  ] })
]

const GROUP_ATTRIBUTES: Attr[] = [
  attr('displayName', { required: true, uniqueness: 'server', description: 'Unique within the organization, compared ignoring case.' }),
  attr('members', { type: 'complex', multiValued: true, description: 'Users of the organization (no nested groups).', subAttributes: [
    attr('value', { mutability: 'immutable', caseExact: true, description: 'The User\'s id.' }),
    attr('$ref', { type: 'reference', mutability: 'immutable', referenceTypes: ['User'] }),
    attr('display', { mutability: 'readOnly' }), attr('type', { mutability: 'immutable', description: 'User.' })
  ] })
]

const ENTERPRISE_ATTRIBUTES: Attr[] = [
  attr('employeeNumber', { caseExact: true, description: 'The HR id (externalHrId), unique within the organization.' }),
  attr('department'),
  attr('manager', { type: 'complex', description: 'The line manager, shown as given; not a clinical supervisor (a coordinator assigns those).', subAttributes: [
    attr('value', { caseExact: true }), attr('displayName', { mutability: 'readOnly' })
  ] })
]

const RAPPORT_ATTRIBUTES: Attr[] = [
  attr('role', { description: 'trainee or supervisor; when absent, the organization\'s provisioningRole (or a role-mapped group\'s). A change makes a new person record of that role (the old one is deactivated, its history kept).' }),
  attr('discipline', { description: 'Professional discipline, e.g. nursing, social work.' })
]

export function schemas(base: string) {
  const schema = (id: string, name: string, description: string, attributes: Attr[]) =>
    ({ schemas: [URN.schema], id, name, description, attributes, meta: meta('Schema', `${base}/Schemas/${id}`) })
  return [
    schema(URN.user, 'User', 'A trainee or supervisor of the organization.', USER_ATTRIBUTES),
    schema(URN.enterprise, 'EnterpriseUser', 'Enterprise User', ENTERPRISE_ATTRIBUTES),
    schema(URN.rapport, 'RapportUser', 'What Rapport needs that SCIM has no word for.', RAPPORT_ATTRIBUTES),
    schema(URN.group, 'Group', 'A group of the organization\'s Users; mapped in Rapport to a role or a cohort.', GROUP_ATTRIBUTES)
  ]
}

export function resourceTypes(base: string) {
  return [{
    schemas: [URN.resourceType], id: 'User', name: 'User', endpoint: '/Users', description: 'Trainees and supervisors',
    schema: URN.user,
    schemaExtensions: [{ schema: URN.enterprise, required: false }, { schema: URN.rapport, required: false }],
    meta: meta('ResourceType', `${base}/ResourceTypes/User`)
  }, {
    schemas: [URN.resourceType], id: 'Group', name: 'Group', endpoint: '/Groups', description: 'Groups of Users, mapped to a role or a cohort',
    schema: URN.group, schemaExtensions: [],
    meta: meta('ResourceType', `${base}/ResourceTypes/Group`)
  }]
}

export function serviceProviderConfig(base: string, documentationUri: string) {
  return {
    schemas: [URN.serviceProviderConfig],
    documentationUri,
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [{
      type: 'oauthbearertoken', name: 'Integrator API key', primary: true,
      description: 'An integrator API key of the organization, sent as "Authorization: Bearer <key>".',
      documentationUri
    }],
    meta: meta('ServiceProviderConfig', `${base}/ServiceProviderConfig`)
  }
}
