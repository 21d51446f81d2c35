import t from 'tap'
import { eq } from 'drizzle-orm'
import { scimUsers, trainees } from '../src/db/schema/index.ts'
import { client } from './helpers/app.ts'
import { buildScimWorld, createUser, isScimError, nullsIn, userBody, URNS, type ScimClient } from './helpers/scim.ts'
import { okta } from './fixtures/scim-vendor-bodies.ts'

const { ENTERPRISE, RAPPORT, CORE } = URNS
const q = (filter: string, extra = '') => `Users?filter=${encodeURIComponent(filter)}${extra}`

/** RFC 7644 section by section (§3.3 create and the vendors' bodies: scim-users.test.ts), on the embedded database or a server. */
t.test('SCIM users: RFC 7644 conformance', async (t) => {
  const w = await buildScimWorld(t)
  const { db, scim } = w
  const create = (s: ScimClient, body: unknown) => createUser(s, body)
  const personOf = async (scimId: string) => (await db.select().from(scimUsers).where(eq(scimUsers.id, scimId)))[0]!

  await t.test('RFC 7644 §3.4.1 get: attributes, excludedAttributes, not found, other organizations', async (t) => {
    const user = await create(scim, userBody({ name: { givenName: 'Ines', familyName: 'Ruiz' }, [ENTERPRISE]: { department: 'Hospice', employeeNumber: '0042' } }))
    const only = (await scim.get(`Users/${user.id}?attributes=userName,name.givenName,${ENTERPRISE}:department`)).json()
    t.same(only, { schemas: user.schemas, id: user.id, userName: user.userName, name: { givenName: 'Ines' }, [ENTERPRISE]: { department: 'Hospice' } })
    const without = (await scim.get(`Users/${user.id}?excludedAttributes=emails,meta,name.familyName`)).json()
    t.notOk('emails' in without)
    t.notOk('meta' in without)
    t.same(without.name, { givenName: 'Ines' })
    t.equal(without.id, user.id, 'id is always returned')
    isScimError(t, await scim.get('Users/00000000-0000-4000-8000-000000000000'), 404, undefined, 'unknown id')
    isScimError(t, await scim.get('Users/not-a-uuid'), 404, undefined, 'an id of any shape is simply not found')
    isScimError(t, await w.otherScim.get(`Users/${user.id}`), 404, undefined, 'another organization\'s user is not found')
    isScimError(t, await w.otherScim.patch(`Users/${user.id}`, { body: okta.deactivate }), 404, undefined, 'nor changed')
  })

  await t.test('RFC 7644 §3.4.2 query: filters in the database, sorting, paging', async (t) => {
    const team = []
    for (const [given, dept, role] of [['Zoe', 'North', 'trainee'], ['Yan', 'North', 'supervisor'], ['Xia', 'South', 'trainee']] as const) {
      team.push(await create(scim, userBody({ userName: `team.${given.toLowerCase()}@ward.example`, emails: [{ value: `${given}@ward.example`, type: 'work' }],
        name: { givenName: given, familyName: 'Team' }, [ENTERPRISE]: { department: dept }, [RAPPORT]: { role } })))
    }
    await scim.delete(`Users/${team[2]!.id}`)
    const ids = async (filter: string, extra = '') => {
      const res = await scim.get(q(filter, extra))
      t.equal(res.statusCode, 200, filter)
      return res.json().Resources.map((r: { id: string }) => r.id).sort()
    }
    const [zoe, yan, xia] = team.map((u) => u.id) as [string, string, string]
    t.same(await ids('userName sw "team."'), [zoe, yan, xia].sort(), 'sw')
    t.same(await ids('userName sw "team." and name.givenName co "A"'), [yan, xia].sort(), 'co, and, case-insensitive')
    t.same(await ids(`userName sw "team." and ${ENTERPRISE}:department ne "North"`), [xia], 'ne on an extension attribute')
    t.same(await ids('userName sw "team." and (name.givenName eq "Zoe" or name.givenName eq "Xia")'), [zoe, xia].sort(), 'or, grouping')
    t.same(await ids('userName sw "team." and active eq false'), [xia], 'a deactivated user is found with active false')
    t.same(await ids(`userName sw "team." and ${RAPPORT}:role eq "supervisor"`), [yan], 'by Rapport role')
    t.same(await ids(`userName sw "team." and not (${ENTERPRISE}:department pr)`), [], 'pr, not')
    t.same(await ids('emails co "@ward.example" and meta.created gt "2000-01-01T00:00:00Z"'), [zoe, yan, xia].sort(), 'dateTime comparison')

    const sorted = (await scim.get(q('userName sw "team."', '&sortBy=name.givenName&sortOrder=descending'))).json()
    t.same(sorted.Resources.map((r: { name: { givenName: string } }) => r.name.givenName), ['Zoe', 'Yan', 'Xia'], 'sortBy, sortOrder')
    const page = (await scim.get(q('userName sw "team."', '&sortBy=userName&startIndex=2&count=1'))).json()
    t.match(page, { totalResults: 3, startIndex: 2, itemsPerPage: 1 }, 'the total is of the whole filter')
    t.equal(page.Resources[0].name.givenName, 'Yan', 'the second in userName order')
    const none = (await scim.get(q('userName sw "team."', '&count=0'))).json()
    t.match(none, { totalResults: 3, itemsPerPage: 0, Resources: [] }, 'count=0 answers only the total')
    const elsewhere = await create(w.otherScim, userBody({ userName: 'team.elsewhere@ward.example', emails: [{ value: 'elsewhere@ward.example' }] }))
    const all = (await scim.get('Users?startIndex=0&count=100000')).json()
    t.equal(all.startIndex, 1, 'startIndex below 1 reads as 1')
    t.ok(all.Resources.length <= 200, 'count is cut to maxResults')
    t.equal(all.totalResults, all.Resources.length)
    t.notOk(all.Resources.some((r: { id: string }) => r.id === elsewhere.id), 'only the key\'s organization')
    t.same(await ids('userName sw "team."'), [zoe, yan, xia].sort(), 'filters too')
    t.same(nullsIn(all), [])

    isScimError(t, await scim.get(q('userName eq')), 400, 'invalidFilter', 'a filter that does not parse')
    isScimError(t, await scim.get(q('password eq "x"')), 400, 'invalidFilter', 'an attribute that is not filtered on')
    isScimError(t, await scim.get(q('active eq "yes"')), 400, 'invalidFilter', 'a boolean compared with text')
    isScimError(t, await scim.get(q('userName gt "a"', '&sortBy=password')), 400, 'invalidValue', 'an unknown sortBy')
    const injection = await scim.get(q('userName eq "x\' or 1=1 --"'))
    t.equal(injection.json().totalResults, 0, 'values are bound parameters')
  })

  await t.test('RFC 7644 §3.5.1 replace', async (t) => {
    const user = await create(scim, userBody({ externalId: 'ext-1', [ENTERPRISE]: { department: 'East' } }))
    await scim.patch(`Users/${user.id}`, { body: okta.deactivate })
    const body = { schemas: [CORE], userName: user.userName, emails: user.emails, name: { givenName: 'New' } }
    const put = await scim.put(`Users/${user.id}`, { body })
    t.equal(put.statusCode, 200)
    t.equal(put.json().active, false, 'a PUT that omits active leaves it alone')
    t.notOk(ENTERPRISE in put.json(), 'attributes left out are cleared')
    t.equal(put.json().name.givenName, 'New')
    const switched = await scim.put(`Users/${user.id}`, { body: { ...body, [RAPPORT]: { role: 'supervisor' } } })
    t.equal(switched.statusCode, 200, 'the Rapport role changes by a PUT (a new supervisor record: see scim-groups.test.ts)')
    t.equal(switched.json()[RAPPORT].role, 'supervisor')
    t.equal(switched.json().active, false, 'the person stays as they were: deactivated')
    const other = await create(scim, userBody())
    isScimError(t, await scim.put(`Users/${user.id}`, { body: { ...body, userName: (other.userName as string).toUpperCase() } }), 409, 'uniqueness')
  })

  await t.test('RFC 7644 §3.5.2 patch: add, remove, atomicity, read-only attributes', async (t) => {
    const user = await create(scim, userBody({ name: { givenName: 'Ada', familyName: 'Lovelace' } }))
    const added = await scim.patch(`Users/${user.id}`, { body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [
      { op: 'ADD', path: `${ENTERPRISE}:department`, value: 'Analytics' },
      { op: 'add', value: { [ENTERPRISE]: { employeeNumber: '012345' } } },
      { op: 'remove', path: 'name.familyName' }
    ] } })
    t.equal(added.statusCode, 200)
    t.match(added.json(), { [ENTERPRISE]: { department: 'Analytics', employeeNumber: '012345' }, name: { givenName: 'Ada' } })
    t.notOk('familyName' in added.json().name, 'removed')
    const version = added.json().meta.version
    const bad = await scim.patch(`Users/${user.id}`, { body: { Operations: [
      { op: 'replace', path: 'name.givenName', value: 'Changed' },
      { op: 'replace', path: 'emails[type eq "work"].value', value: 'not an email' }
    ] } })
    isScimError(t, bad, 400, 'invalidValue', 'one bad operation')
    const after = (await scim.get(`Users/${user.id}`)).json()
    t.equal(after.name.givenName, 'Ada', 'changes nothing: a PATCH is atomic')
    t.equal(after.meta.version, version)
    isScimError(t, await scim.patch(`Users/${user.id}`, { body: { Operations: [{ op: 'move', path: 'userName', value: 'x' }] } }), 400, 'invalidValue', 'an unknown op')
    isScimError(t, await scim.patch(`Users/${user.id}`, { body: { Operations: [{ op: 'replace', path: 'id', value: 'other' }] } }), 400, 'mutability', 'id is read-only')
    isScimError(t, await scim.patch(`Users/${user.id}`, { body: { Operations: [{ op: 'remove' }] } }), 400, 'noTarget', 'remove needs a path')
    isScimError(t, await scim.patch(`Users/${user.id}`, { body: { Operations: [{ op: 'replace', path: 'emails[type eq', value: 'x' }] } }), 400, 'invalidPath')
  })

  await t.test('RFC 7644 §3.6 delete deactivates, §3.7 versions', async (t) => {
    const user = await create(scim, userBody())
    const row = await personOf(user.id)
    const stale = user.meta.version
    const renamed = await scim.patch(`Users/${user.id}`, { body: { Operations: [{ op: 'replace', path: 'displayName', value: 'Renamed' }] }, headers: { 'if-match': stale } })
    t.equal(renamed.statusCode, 200, 'a current If-Match is honoured')
    t.not(renamed.json().meta.version, stale, 'each change makes a new version')
    isScimError(t, await scim.put(`Users/${user.id}`, { body: userBody(), headers: { 'if-match': stale } }), 412, undefined, 'a stale If-Match')
    isScimError(t, await scim.delete(`Users/${user.id}`, { headers: { 'if-match': stale } }), 412, undefined, 'on DELETE too')
    const current = renamed.headers.etag as string
    t.equal((await scim.get(`Users/${user.id}`, { headers: { 'if-none-match': current } })).statusCode, 304, 'If-None-Match of the current version')

    await client(w.app, w.adminKey).patch(`/v1/trainees/${row.traineeId}`, { body: { discipline: 'art therapy' } })
    const afterV1 = await scim.get(`Users/${user.id}`)
    t.not(afterV1.headers.etag, current, 'a change through /v1 is a new version too')
    t.equal(afterV1.json()[RAPPORT].discipline, 'art therapy')

    t.equal((await scim.delete(`Users/${user.id}`)).statusCode, 204)
    const gone = await scim.get(`Users/${user.id}`)
    t.equal(gone.statusCode, 200, 'still there')
    t.equal(gone.json().active, false)
    t.equal((await db.select().from(trainees).where(eq(trainees.id, row.traineeId!))).length, 1, 'the trainee row stays (their observations and certificates too)')
    t.equal((await scim.delete(`Users/${user.id}`)).statusCode, 204, 'deleting again is no error')
  })

  await t.test('RFC 7644 §3.12 errors are SCIM documents', async (t) => {
    const anonymous = await w.app.inject({ method: 'GET', url: '/scim/v2/Users' })
    isScimError(t, anonymous, 401, undefined, 'no key')
    const admin = isScimError(t, await w.app.inject({ method: 'GET', url: '/scim/v2/Users', headers: { authorization: `Bearer ${w.adminKey}` } }), 403)
    t.match(admin.detail, /integrator API key/, 'says to use an integrator key')
    isScimError(t, await scim.get('Nothing'), 404, undefined, 'no such endpoint')
    const malformed = await w.app.inject({ method: 'POST', url: '/scim/v2/Users', headers: { authorization: `Bearer ${w.integratorKey}`, 'content-type': 'application/scim+json' }, payload: '{"userName":' })
    isScimError(t, malformed, 400, 'invalidSyntax', 'a body that is not JSON')
  })
})
