import t from 'tap'
import { buildScimWorld, createUser, isScimError, nullsIn, SCIM_TYPE, userBody } from './helpers/scim.ts'

const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group'
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
const ops = (...Operations: unknown[]) => ({ schemas: [PATCH_OP], Operations })

/** RFC 7644 for /Groups, section by section. Embedded database or a server. */
t.test('SCIM groups: RFC 7644 conformance', async (t) => {
  const { scim } = await buildScimWorld(t)
  const members = [await createUser(scim, userBody()), await createUser(scim, userBody()), await createUser(scim, userBody())].map((u) => u.id)
  const create = async (body: Record<string, unknown>) => {
    const res = await scim.post('Groups', { body: { schemas: [GROUP], ...body } })
    if (res.statusCode !== 201) throw new Error(`${res.statusCode} ${res.body}`)
    return res.json() as { id: string; displayName: string; meta: { version: string } }
  }
  const valuesOf = async (id: string) => ((await scim.get(`Groups/${id}`)).json().members ?? []).map((m: { value: string }) => m.value).sort()

  await t.test('§3.1 / §3.3 create: media types, 201 with Location, required and unique displayName', async (t) => {
    const res = await scim.post('Groups', { body: { schemas: [GROUP], displayName: 'Plain JSON', members: [{ value: members[0] }] }, json: true })
    t.equal(res.statusCode, 201, 'application/json is accepted as well')
    t.match(res.headers['content-type'], SCIM_TYPE, 'answers application/scim+json')
    t.equal(res.headers.location, res.json().meta.location)
    t.same(nullsIn(res.json()), [])
    isScimError(t, await scim.post('Groups', { body: { schemas: [GROUP] } }), 400, 'invalidValue', 'displayName is required')
    isScimError(t, await scim.post('Groups', { body: { schemas: [GROUP], displayName: 'plain json' } }), 409, 'uniqueness')
    isScimError(t, await scim.post('Groups', { body: { schemas: [GROUP], displayName: 'x', members: 'all' } }), 400, 'invalidValue')
    const withId = await scim.post('Groups', { body: { schemas: [GROUP], id: 'mine', displayName: 'Own id' } })
    t.not(withId.json().id, 'mine', 'the id is the server\'s')
  })

  await t.test('§3.4.1 retrieve: ETag, If-None-Match, not found', async (t) => {
    const g = await create({ displayName: 'Retrieve me' })
    const got = await scim.get(`Groups/${g.id}`)
    t.equal(got.headers.etag, g.meta.version)
    t.equal((await scim.get(`Groups/${g.id}`, { headers: { 'if-none-match': g.meta.version } })).statusCode, 304)
    isScimError(t, await scim.get('Groups/00000000-0000-4000-8000-000000000000'), 404)
    isScimError(t, await scim.get('Groups/not-a-uuid'), 404, undefined, 'a malformed id is simply not found')
  })

  await t.test('§3.4.2 query: filters run in the database, paging, sorting, projection', async (t) => {
    const names = ['Team Alpha', 'Team Beta', 'Team Gamma', 'Other']
    const made: Array<{ id: string }> = []
    for (const [i, displayName] of names.entries()) made.push(await create({ displayName, externalId: `ext-${i}`, members: [{ value: members[i % 3] }] }))
    const ids = async (filter: string, extra = '') => {
      const res = await scim.get(`Groups?filter=${encodeURIComponent(filter)}${extra}`)
      t.equal(res.statusCode, 200, filter)
      return (res.json().Resources as Array<{ id: string }>).map((r) => r.id).sort()
    }
    const id = (name: string) => made[names.indexOf(name)]!.id
    t.same(await ids('displayName eq "team alpha"'), [id('Team Alpha')], 'eq; displayName ignores case')
    t.same(await ids('externalId eq "ext-1"'), [id('Team Beta')], 'externalId eq')
    t.same(await ids('externalId eq "EXT-1"'), [], 'externalId is caseExact')
    t.same(await ids('displayName sw "Team" and displayName ne "Team Beta"'), [id('Team Alpha'), id('Team Gamma')].sort(), 'sw, ne, and')
    t.same(await ids('displayName co "amm" or externalId eq "ext-3"'), [id('Team Gamma'), id('Other')].sort(), 'co, or')
    t.ok((await ids('externalId pr')).length >= 4, 'pr')
    t.same(await ids(`id eq "${id('Other')}"`), [id('Other')])
    isScimError(t, await scim.get(`Groups?filter=${encodeURIComponent('displayName eq')}`), 400, 'invalidFilter')
    isScimError(t, await scim.get(`Groups?filter=${encodeURIComponent('nickName eq "x"')}`), 400, 'invalidFilter', 'an attribute Groups do not filter on')

    const filter = `&filter=${encodeURIComponent('displayName sw "Team"')}`
    const page1 = (await scim.get(`Groups?startIndex=1&count=2&sortBy=displayName${filter}`)).json()
    t.match(page1, { totalResults: 3, startIndex: 1, itemsPerPage: 2 }, 'integer totals')
    t.same(page1.Resources.map((r: { displayName: string }) => r.displayName), ['Team Alpha', 'Team Beta'], 'sortBy displayName')
    const page2 = (await scim.get(`Groups?startIndex=3&count=2&sortBy=displayName${filter}`)).json()
    t.same(page2.Resources.map((r: { displayName: string }) => r.displayName), ['Team Gamma'])
    const desc = (await scim.get(`Groups?sortBy=displayName&sortOrder=descending${filter}`)).json()
    t.same(desc.Resources.map((r: { displayName: string }) => r.displayName), ['Team Gamma', 'Team Beta', 'Team Alpha'])
    const none = (await scim.get(`Groups?count=0${filter}`)).json()
    t.match(none, { totalResults: 3, itemsPerPage: 0, Resources: [] }, 'count=0 gives the total alone')
    const twice = [(await scim.get('Groups?count=2&startIndex=2')).json(), (await scim.get('Groups?count=2&startIndex=2')).json()]
    t.same(twice[0].Resources.map((r: { id: string }) => r.id), twice[1].Resources.map((r: { id: string }) => r.id), 'a stable order')
    isScimError(t, await scim.get('Groups?sortBy=members'), 400, 'invalidValue')
    isScimError(t, await scim.get('Groups?count=many'), 400, 'invalidValue')

    const only = (await scim.get(`Groups?attributes=displayName${filter}`)).json().Resources[0]
    t.same(Object.keys(only).sort(), ['displayName', 'id', 'schemas'], '§3.9 attributes: id and schemas always')
    const lean = (await scim.get(`Groups/${id('Team Alpha')}?excludedAttributes=members,meta`)).json()
    t.notOk('members' in lean)
    t.notOk('meta' in lean)
    const justMembers = (await scim.get(`Groups/${id('Team Alpha')}?attributes=members.value`)).json()
    t.same(justMembers.members, [{ value: members[0] }], 'a sub-attribute of members')
  })

  await t.test('§3.5.1 replace: the members and attributes as sent', async (t) => {
    const g = await create({ displayName: 'Replace me', externalId: 'r-1', members: [{ value: members[0] }, { value: members[1] }] })
    const put = await scim.put(`Groups/${g.id}`, { body: { schemas: [GROUP], displayName: 'Replaced', members: [{ value: members[2] }] } })
    t.equal(put.statusCode, 200)
    t.notOk('externalId' in put.json(), 'attributes left out are cleared')
    t.same(await valuesOf(g.id), [members[2]])
    t.not(put.headers.etag, g.meta.version)
    isScimError(t, await scim.put(`Groups/${g.id}`, { body: { schemas: [GROUP], displayName: 'Replaced', members: [{ value: 'nobody' }] } }), 400, 'invalidValue')
    t.same(await valuesOf(g.id), [members[2]], 'a refused PUT changes nothing')
  })

  await t.test('§3.5.2 modify: add, remove, replace in every form; atomic; 204 unless attributes are asked', async (t) => {
    const g = await create({ displayName: 'Patch me' })
    const patch = (body: unknown, query = '') => scim.patch(`Groups/${g.id}${query}`, { body })
    t.equal((await patch(ops({ op: 'ADD', path: 'members', value: [{ value: members[0] }, { value: members[1] }] }))).statusCode, 204, '§3.5.2.1 add, op in any case')
    await patch(ops({ op: 'add', path: 'members', value: [{ value: members[0] }] }))
    t.same(await valuesOf(g.id), [members[0], members[1]].sort(), 'adding a member again keeps one')
    await patch(ops({ op: 'add', value: { members: [{ value: members[2] }] } }))
    t.same(await valuesOf(g.id), [...members].sort(), 'a path-less add of members')
    await patch(ops({ op: 'Remove', path: `members[value eq "${members[0]}"]` }))
    t.same(await valuesOf(g.id), [members[1], members[2]].sort(), '§3.5.2.2 remove by a value filter')
    await patch(ops({ op: 'remove', path: 'members', value: [{ value: members[1] }] }))
    t.same(await valuesOf(g.id), [members[2]], 'remove by a value list')
    await patch(ops({ op: 'replace', path: 'members', value: [{ value: members[0] }, { value: members[1] }] }))
    t.same(await valuesOf(g.id), [members[0], members[1]].sort(), '§3.5.2.3 replace the members')
    await patch(ops({ op: 'remove', path: 'members' }))
    t.same(await valuesOf(g.id), [], 'remove all members')
    await patch(ops({ op: 'replace', path: 'externalId', value: 'x-9' }, { op: 'replace', value: { displayName: 'Patched' } }))
    const got = (await scim.get(`Groups/${g.id}`)).json()
    t.match(got, { displayName: 'Patched', externalId: 'x-9' }, 'replace displayName and externalId, with and without a path')

    const before = (await scim.get(`Groups/${g.id}`)).json()
    isScimError(t, await patch(ops({ op: 'add', path: 'members', value: [{ value: members[0] }] }, { op: 'replace', path: 'displayName', value: 42 })), 400, 'invalidValue')
    isScimError(t, await patch(ops({ op: 'replace', path: 'displayName', value: 'Half' }, { op: 'move', path: 'displayName' })), 400, 'invalidValue')
    isScimError(t, await patch(ops({ op: 'replace', path: 'id', value: 'other' })), 400, 'mutability')
    isScimError(t, await patch(ops({ op: 'remove' })), 400, 'noTarget')
    t.same((await scim.get(`Groups/${g.id}`)).json(), before, 'a refused PATCH changes nothing')

    const withBody = await patch(ops({ op: 'replace', path: 'displayName', value: 'Shown' }), '?attributes=displayName')
    t.equal(withBody.statusCode, 200, 'with attributes asked, 200 and the resource')
    t.same(withBody.json(), { schemas: [GROUP], id: g.id, displayName: 'Shown' })
  })

  await t.test('§3.14 versions: a stale If-Match is 412 on PUT, PATCH and DELETE; the current one works', async (t) => {
    const g = await create({ displayName: 'Versioned' })
    await scim.patch(`Groups/${g.id}`, { body: ops({ op: 'replace', path: 'displayName', value: 'Versioned 2' }) })
    const stale = { 'if-match': g.meta.version }
    isScimError(t, await scim.patch(`Groups/${g.id}`, { headers: stale, body: ops({ op: 'replace', path: 'displayName', value: 'No' }) }), 412)
    isScimError(t, await scim.put(`Groups/${g.id}`, { headers: stale, body: { schemas: [GROUP], displayName: 'No' } }), 412)
    isScimError(t, await scim.delete(`Groups/${g.id}`, { headers: stale }), 412)
    const current = (await scim.get(`Groups/${g.id}`)).headers.etag as string
    t.equal((await scim.patch(`Groups/${g.id}`, { headers: { 'if-match': current }, body: ops({ op: 'replace', path: 'displayName', value: 'Versioned 3' }) })).statusCode, 204)
  })

  await t.test('§3.6 delete: 204, then not found', async (t) => {
    const g = await create({ displayName: 'Delete me', members: [{ value: members[0] }] })
    t.equal((await scim.delete(`Groups/${g.id}`)).statusCode, 204)
    isScimError(t, await scim.get(`Groups/${g.id}`), 404)
    isScimError(t, await scim.delete(`Groups/${g.id}`), 404)
    t.equal((await scim.get(`Users/${members[0]}`)).statusCode, 200, 'the member is still there')
  })

  await t.test('§4 discovery: the Group resource type and schema', async (t) => {
    const types = (await scim.get('ResourceTypes')).json()
    t.match(types.Resources.find((r: { id: string }) => r.id === 'Group'), { endpoint: '/Groups', schema: GROUP })
    const schema = (await scim.get(`Schemas/${GROUP}`)).json()
    t.same(schema.attributes.map((a: { name: string }) => a.name), ['displayName', 'members'])
    const user = (await scim.get('Schemas/urn:ietf:params:scim:schemas:core:2.0:User')).json()
    t.match(user.attributes.find((a: { name: string }) => a.name === 'groups'), { mutability: 'readOnly', multiValued: true })
    t.match((await scim.get('ServiceProviderConfig')).json(), { patch: { supported: true }, filter: { supported: true }, etag: { supported: true }, bulk: { supported: false } })
  })
})
