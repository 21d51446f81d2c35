import t, { type Test } from 'tap'
import { and, eq, isNull } from 'drizzle-orm'
import { accounts, apiKeys, scimGroupMembers, scimUsers, supervisors, trainees, webSessions } from '../src/db/schema/index.ts'
import { createSession } from '../src/modules/identity/sessions.ts'
import { client } from './helpers/app.ts'
import { linkProgram, makeAccount, makeCohort, makeProgram, makeTrainee } from './helpers/factories.ts'
import { buildScimWorld, createUser, isScimError, nullsIn, SCIM_TYPE, URNS, userBody, type ScimClient } from './helpers/scim.ts'
import { auditTrail, isProblem } from './helpers/structure.ts'
import { entraGroups, oktaGroups } from './fixtures/scim-vendor-bodies.ts'

const { RAPPORT } = URNS
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group'
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
let named = 0
const groupBody = (extra: Record<string, unknown> = {}) => ({ schemas: [GROUP], displayName: `Group ${++named}`, ...extra })

async function createGroup(s: ScimClient, body: unknown): Promise<{ id: string; displayName: string; meta: { version: string } }> {
  const res = await s.post('Groups', { body })
  if (res.statusCode !== 201) throw new Error(`create group answered ${res.statusCode}: ${res.body}`)
  return res.json()
}

/** SCIM Groups: Okta's and Entra's documented requests, mapping to a role or cohort, and what membership then does. Embedded database or a server. */
t.test('SCIM groups', async (t) => {
  const w = await buildScimWorld(t)
  const { db, scim, app } = w
  const admin = client(app, w.adminKey)
  const program = await makeProgram(db)
  await linkProgram(db, program.id, w.org.id)
  const cohort = await makeCohort(db, program.id)
  const coordinator = client(app, (await makeAccount(db, 'coordinator', { programIds: [program.id] })).key)
  const otherProgram = await makeProgram(db)
  const otherCohort = await makeCohort(db, otherProgram.id)
  const outsider = client(app, (await makeAccount(db, 'coordinator', { programIds: [otherProgram.id] })).key)
  const integrator = client(app, w.integratorKey)

  const scimRow = async (id: string) => (await db.select().from(scimUsers).where(eq(scimUsers.id, id)))[0]!
  const traineeOf = async (scimId: string) => (await db.select().from(trainees).where(eq(trainees.id, (await scimRow(scimId)).traineeId!)))[0]!
  const memberIds = async (groupId: string) => (await db.select().from(scimGroupMembers).where(eq(scimGroupMembers.groupId, groupId))).map((m) => m.scimUserId).sort()
  const refused = (t: Test, res: Awaited<ReturnType<typeof admin.get>>, status: number, code: string, what: string) => {
    isProblem(t, res, status, ({ 400: 'validation', 403: 'forbidden', 404: 'not-found', 412: 'precondition-failed', 422: 'unprocessable' } as Record<number, string>)[status]!, undefined, what)
    t.equal(res.json().code, code, `${what}: ${code}`)
  }
  const map = (as: typeof admin, id: string, body: unknown, headers: Record<string, string> = {}) => as.put(`/v1/scim-groups/${id}/mapping`, { body, headers })

  await t.test('Okta: the documented create, list, rename, membership and replace', async (t) => {
    const user = await createUser(scim, userBody())
    const created = await scim.post('Groups', { body: oktaGroups.create })
    t.equal(created.statusCode, 201)
    t.match(created.headers['content-type'], SCIM_TYPE)
    const group = created.json()
    t.match(group, { schemas: [GROUP], displayName: 'Test SCIMv2', meta: { resourceType: 'Group', location: `http://localhost:3000/scim/v2/Groups/${group.id}` } })
    t.notOk('members' in group, 'no members: the attribute is absent, not an empty list or null')
    t.equal(created.headers.location, group.meta.location)
    t.equal(created.headers.etag, group.meta.version)
    t.same(nullsIn(group), [])

    const list = (await scim.get(oktaGroups.list)).json()
    t.match(list, { totalResults: 1, startIndex: 1, itemsPerPage: 1 })
    t.same(list.Resources[0], group, 'the list shows it as created')
    t.same((await scim.get(oktaGroups.queryByDisplayName)).json().Resources.map((r: { id: string }) => r.id), [group.id], 'found by name')

    const renamed = await scim.patch(`Groups/${group.id}`, { body: oktaGroups.rename(group.id) })
    t.equal(renamed.statusCode, 204, 'PATCH answers 204 No Content')
    t.equal(renamed.body, '')
    t.equal(renamed.headers.etag, group.meta.version, 'the same name again (as the page sends it) changes nothing, so the version stays')
    t.equal((await scim.patch(`Groups/${group.id}`, { body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { id: group.id, displayName: 'Okta group' } }] } })).statusCode, 204)
    const retitled = await scim.get(`Groups/${group.id}`)
    t.equal(retitled.json().displayName, 'Okta group')
    t.not(retitled.headers.etag, group.meta.version, 'a real change makes a new version')

    t.equal((await scim.patch(`Groups/${group.id}`, { body: oktaGroups.addMember(user.id) })).statusCode, 204)
    const withMember = (await scim.get(`Groups/${group.id}`)).json()
    t.same(withMember.members, [{ value: user.id, display: user.displayName ?? user.userName, type: 'User', $ref: `http://localhost:3000/scim/v2/Users/${user.id}` }])
    const inUser = (await scim.get(`Users/${user.id}`)).json()
    t.same(inUser.groups, [{ value: group.id, display: 'Okta group', type: 'direct', $ref: `http://localhost:3000/scim/v2/Groups/${group.id}` }],
      'the User\'s readOnly groups attribute lists the group (RFC 7643 §4.1.2)')

    const other = await createUser(scim, userBody())
    t.equal((await scim.patch(`Groups/${group.id}`, { body: oktaGroups.membership(user.id, other.id) })).statusCode, 204)
    t.same(await memberIds(group.id), [other.id], 'one request: one removed by the filtered path, the other added')
    t.notOk('groups' in (await scim.get(`Users/${user.id}`)).json(), 'no groups: absent')

    const put = await scim.put(`Groups/${group.id}`, { body: oktaGroups.replace(user.id) })
    t.equal(put.statusCode, 200)
    t.same(put.json().members.map((m: { value: string }) => m.value), [user.id], 'PUT replaces the members')
    t.equal((await scim.patch(`Groups/${group.id}`, { body: oktaGroups.replaceMembers(user.id, other.id) })).statusCode, 204)
    t.same(await memberIds(group.id), [user.id, other.id].sort(), 'a full push of the membership with replace')
    t.equal((await scim.delete(`Groups/${group.id}`)).statusCode, 204)
    isScimError(t, await scim.get(`Groups/${group.id}`), 404)
    t.equal((await scimRow(user.id)).id, user.id, 'deleting a group deletes nobody')
  })

  await t.test('Entra: the documented create, lookups, rename and member add / remove', async (t) => {
    const user = await createUser(scim, userBody())
    const created = await scim.post('Groups', { body: entraGroups.create })
    t.equal(created.statusCode, 201)
    const group = created.json()
    t.match(group, { displayName: 'displayName', externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159' })
    t.equal((await scim.patch(`Groups/${group.id}`, { body: entraGroups.addMembers(user.id) })).statusCode, 204)
    const got = await scim.get(entraGroups.get(group.id))
    t.equal(got.statusCode, 200)
    t.notOk('members' in got.json(), 'excludedAttributes=members leaves them out')
    t.equal(got.json().displayName, 'displayName')
    const found = (await scim.get(entraGroups.queryByDisplayName)).json()
    t.equal(found.totalResults, 1)
    t.notOk('members' in found.Resources[0], 'the list too')
    t.same((await scim.get(`/scim/v2/Groups?filter=${encodeURIComponent(`externalId eq "${group.externalId}"`)}`)).json().Resources.map((r: { id: string }) => r.id), [group.id])

    t.equal((await scim.patch(`Groups/${group.id}`, { body: entraGroups.rename })).statusCode, 204)
    t.equal((await scim.get(`Groups/${group.id}`)).json().displayName, '1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName')
    t.equal((await scim.patch(`Groups/${group.id}`, { body: entraGroups.removeMembers(user.id) })).statusCode, 204)
    t.same(await memberIds(group.id), [], 'removed by a value list')
    for (const remove of [entraGroups.legacyRemoveMember, entraGroups.compliantRemoveMember]) {
      await scim.patch(`Groups/${group.id}`, { body: entraGroups.addMembers(user.id) })
      t.equal((await scim.patch(`Groups/${group.id}`, { body: remove(user.id) })).statusCode, 204)
      t.same(await memberIds(group.id), [], 'removed, without and with aadOptscim062020')
    }
    t.equal((await scim.delete(`Groups/${group.id}`)).statusCode, 204)
  })

  await t.test('displayName is unique in the organization ignoring case; members are the organization\'s Users', async (t) => {
    const g = await createGroup(scim, groupBody({ displayName: 'Ward Nurses' }))
    isScimError(t, await scim.post('Groups', { body: groupBody({ displayName: 'WARD nurses' }) }), 409, 'uniqueness', 'a duplicate name is 409 uniqueness')
    t.equal((await w.otherScim.post('Groups', { body: groupBody({ displayName: 'Ward Nurses' }) })).statusCode, 201, 'another organization may use it')
    const other = await createGroup(scim, groupBody())
    isScimError(t, await scim.patch(`Groups/${other.id}`, { body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'ward nurses' }] } }), 409, 'uniqueness')

    const mine = await createUser(scim, userBody())
    const theirs = await createUser(w.otherScim, userBody())
    const before = (await scim.get(`Groups/${g.id}`)).json()
    const mixed = { schemas: [PATCH_OP], Operations: [
      { op: 'replace', path: 'displayName', value: 'Renamed' },
      { op: 'add', path: 'members', value: [{ value: mine.id }] },
      { op: 'add', path: 'members', value: [{ value: theirs.id }] }
    ] }
    isScimError(t, await scim.patch(`Groups/${g.id}`, { body: mixed }), 400, 'invalidValue', 'another organization\'s User is no member')
    isScimError(t, await scim.post('Groups', { body: groupBody({ members: [{ value: 'no-such-user' }] }) }), 400, 'invalidValue', 'nor an unknown id')
    const after = (await scim.get(`Groups/${g.id}`)).json()
    t.same(after, before, 'one bad operation changes nothing: not the name, not the good member')
    isScimError(t, await scim.patch(`Groups/${g.id}`, { body: { Operations: [{ op: 'remove', path: 'members[value eq "x"' }] } }), 400, 'invalidPath')
    isScimError(t, await scim.post('Groups', { body: groupBody({ members: [{ value: mine.id, type: 'Group' }] }) }), 400, 'invalidValue', 'no nested groups')
    isScimError(t, await w.otherScim.get(`Groups/${g.id}`), 404, undefined, 'another organization\'s key does not see it')
    isScimError(t, await client(app, w.adminKey).get(`/scim/v2/Groups/${g.id}`), 403, undefined, 'SCIM is for integrator keys')
  })

  await t.test('mapping: who may read and map, and what refuses', async (t) => {
    const g = await createGroup(scim, groupBody())
    const read = await admin.get(`/v1/scim-groups/${g.id}`)
    t.equal(read.statusCode, 200)
    t.match(read.json(), { id: g.id, organizationId: w.org.id, displayName: g.displayName, memberCount: 0, mapping: { role: null, cohortId: null } })
    t.equal((await integrator.get(`/v1/scim-groups/${g.id}`)).statusCode, 200, 'the organization\'s integrator reads it')
    t.equal((await coordinator.get(`/v1/scim-groups/${g.id}`)).statusCode, 200, 'a coordinator of a programme serving the organization reads it')
    t.same((await coordinator.get('/v1/scim-groups', { query: { organizationId: w.org.id } })).json().items.map((i: { id: string }) => i.id).includes(g.id), true)
    t.equal((await outsider.get(`/v1/scim-groups/${g.id}`)).statusCode, 404, 'a coordinator of a programme not serving it does not find it')
    t.same((await outsider.get('/v1/scim-groups')).json().items, [], 'nor lists it')
    const otherIntegrator = client(app, (await makeAccount(db, 'integrator', { organizationId: w.otherOrg.id })).key)
    t.equal((await otherIntegrator.get(`/v1/scim-groups/${g.id}`)).statusCode, 404)

    refused(t, await map(integrator, g.id, { cohortId: cohort.id }), 403, 'role-not-allowed', 'integrators only read')
    const coordinatorRole = await map(coordinator, g.id, { role: 'supervisor' })
    refused(t, coordinatorRole, 403, 'role-not-allowed', 'role mapping is an admin\'s')
    t.match(coordinatorRole.json().detail, /admin/, 'the refusal names the role that can act')
    refused(t, await map(admin, g.id, { role: 'coordinator' }), 400, 'validation', 'no group grants coordinator')
    refused(t, await map(admin, g.id, { role: 'admin' }), 400, 'validation', 'nor admin')
    refused(t, await map(admin, g.id, {}), 400, 'group-mapping-one-of', 'neither')
    refused(t, await map(admin, g.id, { role: 'trainee', cohortId: cohort.id }), 400, 'group-mapping-one-of', 'both')
    refused(t, await map(admin, g.id, { cohortId: otherCohort.id }), 422, 'organization-not-served', 'a cohort of a programme not serving the organization')
    refused(t, await map(coordinator, g.id, { cohortId: otherCohort.id }), 422, 'reference-not-found', 'a coordinator maps only to their own cohorts')
    t.equal((await map(outsider, g.id, { cohortId: otherCohort.id })).statusCode, 404, 'outside scope: not found')

    const etag = read.headers.etag as string
    const mapped = await map(coordinator, g.id, { cohortId: cohort.id }, { 'if-match': etag })
    t.equal(mapped.statusCode, 200)
    t.match(mapped.json(), { mapping: { role: null, cohortId: cohort.id } })
    refused(t, await map(coordinator, g.id, { cohortId: cohort.id }, { 'if-match': etag }), 412, 'precondition-failed', 'a stale If-Match')
    t.equal((await admin.put(`/v1/scim-groups/${g.id}/mapping`, { body: { role: 'trainee' } })).statusCode, 200, 'an admin maps to a role')
    refused(t, await coordinator.delete(`/v1/scim-groups/${g.id}/mapping`), 403, 'role-not-allowed', 'a coordinator does not unmap a role')
    const unmapped = await admin.delete(`/v1/scim-groups/${g.id}/mapping`)
    t.match(unmapped.json(), { mapping: { role: null, cohortId: null } })
    t.same((await auditTrail(db, 'scim_group', g.id)).map((e) => e.action), ['scim_group.create', 'scim_group.map', 'scim_group.map', 'scim_group.unmap'])
    t.equal((await admin.get('/v1/scim-groups/00000000-0000-4000-8000-000000000000')).statusCode, 404)
    const traineeKey = (await makeAccount(db, 'trainee', { traineeId: (await makeTrainee(db, w.org.id, null)).id })).key
    refused(t, await client(app, traineeKey).get(`/v1/scim-groups/${g.id}`), 403, 'role-not-allowed', 'trainees never read groups')
  })

  await t.test('cohort groups place their trainees: at mapping, on joining; leaving unplaces; supervisors unaffected', async (t) => {
    const first = await createUser(scim, userBody())
    const second = await createUser(scim, userBody())
    const sup = await createUser(scim, userBody({ [RAPPORT]: { role: 'supervisor' } }))
    const g = await createGroup(scim, groupBody({ members: [{ value: first.id }, { value: sup.id }] }))
    t.equal((await traineeOf(first.id)).cohortId, null, 'an unmapped group places nobody')
    t.equal((await map(coordinator, g.id, { cohortId: cohort.id })).statusCode, 200)
    t.equal((await traineeOf(first.id)).cohortId, cohort.id, 'mapping places the current trainee members at once')
    t.equal((await scimRow(sup.id)).supervisorId !== null, true, 'the supervisor stays a supervisor, in no cohort')

    t.equal((await scim.patch(`Groups/${g.id}`, { body: entraGroups.addMembers(second.id) })).statusCode, 204)
    t.equal((await traineeOf(second.id)).cohortId, cohort.id, 'joining places')
    const placed = (await auditTrail(db, 'trainee', (await scimRow(second.id)).traineeId!)).map((e) => e.action)
    t.ok(placed.includes('trainee.update'), 'through the trainees\' service, audited')

    const twin = await createGroup(scim, groupBody({ members: [{ value: second.id }] }))
    await map(admin, twin.id, { cohortId: cohort.id })
    t.equal((await scim.patch(`Groups/${g.id}`, { body: oktaGroups.removeMember(second.id) })).statusCode, 204)
    t.equal((await traineeOf(second.id)).cohortId, cohort.id, 'still in another group of that cohort: stays')
    t.equal((await scim.patch(`Groups/${g.id}`, { body: entraGroups.removeMembers(first.id) })).statusCode, 204)
    t.equal((await traineeOf(first.id)).cohortId, null, 'leaving unplaces')

    await scim.patch(`Groups/${g.id}`, { body: oktaGroups.addMember(first.id) })
    t.equal((await traineeOf(first.id)).cohortId, cohort.id)
    await admin.delete(`/v1/scim-groups/${g.id}/mapping`)
    t.equal((await traineeOf(first.id)).cohortId, cohort.id, 'unmapping changes nobody')
    await map(admin, g.id, { cohortId: cohort.id })
    t.equal((await scim.delete(`Groups/${g.id}`)).statusCode, 204)
    t.equal((await traineeOf(first.id)).cohortId, null, 'deleting the group is leaving it')
    t.equal((await traineeOf(second.id)).cohortId, cohort.id, 'but not for one still in a group of that cohort')
    t.equal((await traineeOf(first.id)).active, true, 'and deletes nobody')
  })

  await t.test('a mapping that cannot apply to one member changes nothing', async (t) => {
    const third = await makeProgram(db)
    await linkProgram(db, third.id, w.org.id)
    const thirdCohort = await makeCohort(db, third.id)
    const user = await createUser(scim, userBody())
    await db.update(trainees).set({ cohortId: thirdCohort.id }).where(eq(trainees.id, (await scimRow(user.id)).traineeId!))
    const free = await createUser(scim, userBody())
    const g = await createGroup(scim, groupBody({ members: [{ value: free.id }, { value: user.id }] }))
    refused(t, await map(coordinator, g.id, { cohortId: cohort.id }), 422, 'trainee-placed-elsewhere', 'a coordinator does not move another programme\'s trainee')
    t.match((await admin.get(`/v1/scim-groups/${g.id}`)).json(), { mapping: { cohortId: null } }, 'the mapping is not written')
    t.equal((await traineeOf(free.id)).cohortId, null, 'nor is any other member placed')
    t.equal((await map(admin, g.id, { cohortId: cohort.id })).statusCode, 200, 'an admin may move them')
    t.equal((await traineeOf(user.id)).cohortId, cohort.id)
  })

  await t.test('role groups switch their members\' role: a new record, the account moved, the old one kept', async (t) => {
    const user = await createUser(scim, userBody({ [URNS.ENTERPRISE]: { employeeNumber: 'HR-77' } }))
    const oldTraineeId = (await scimRow(user.id)).traineeId!
    const [account] = await db.select().from(accounts).where(eq(accounts.traineeId, oldTraineeId))
    await createSession(db, account!.id, new Date())
    await db.insert(apiKeys).values({ accountId: account!.id, name: 'personal', prefix: 'rk_x', keyHash: `hash-${user.id}` })
    const g = await createGroup(scim, groupBody({ members: [{ value: user.id }] }))
    t.equal((await map(admin, g.id, { role: 'supervisor' })).statusCode, 200)

    const row = await scimRow(user.id)
    t.equal(row.traineeId, null)
    t.ok(row.supervisorId, 'the SCIM user now stands for a supervisor record')
    const [sup] = await db.select().from(supervisors).where(eq(supervisors.id, row.supervisorId!))
    const [old] = await db.select().from(trainees).where(eq(trainees.id, oldTraineeId))
    t.match(sup, { name: old!.name, email: old!.email, externalHrId: 'HR-77', active: true, organizationId: w.org.id }, 'same name, email, HR id')
    t.match(old, { active: false, externalHrId: null }, 'the old trainee record is deactivated, kept (its HR id moved)')
    const [moved] = await db.select().from(accounts).where(eq(accounts.id, account!.id))
    t.match(moved, { role: 'supervisor', traineeId: null, supervisorId: row.supervisorId, active: true }, 'the same account, moved to the new record')
    t.same(await db.select().from(webSessions).where(eq(webSessions.accountId, account!.id)), [], 'its web sessions ended')
    t.same(await db.select().from(apiKeys).where(and(eq(apiKeys.accountId, account!.id), isNull(apiKeys.revokedAt))), [], 'its API keys revoked')
    t.equal(((await scim.get(`Users/${user.id}`)).json()[RAPPORT] as { role: string }).role, 'supervisor')
    t.ok((await auditTrail(db, 'scim_user', user.id)).some((e) => e.action === 'scim_user.switch_role'), 'audited')
    t.ok((await auditTrail(db, 'account', account!.id)).some((e) => (e.changes as { role?: unknown }).role !== undefined), 'the account change too')

    await scim.patch(`Groups/${g.id}`, { body: oktaGroups.removeMember(user.id) })
    t.ok((await scimRow(user.id)).supervisorId, 'leaving a role group changes nothing')

    const traineeGroup = await createGroup(scim, groupBody())
    await map(admin, traineeGroup.id, { role: 'trainee' })
    const supGroup = await createGroup(scim, groupBody())
    await map(admin, supGroup.id, { role: 'supervisor' })
    const both = await createUser(scim, userBody())
    await scim.patch(`Groups/${supGroup.id}`, { body: oktaGroups.addMember(both.id) })
    await scim.patch(`Groups/${traineeGroup.id}`, { body: oktaGroups.addMember(both.id) })
    t.ok((await scimRow(both.id)).supervisorId, 'in both kinds of role group: supervisor wins')

    await scim.patch(`Groups/${traineeGroup.id}`, { body: oktaGroups.addMember(user.id) })
    t.ok((await scimRow(user.id)).traineeId, 'joining a trainee group switches back')
    const back = await traineeOf(user.id)
    t.not(back.id, oldTraineeId, 'as a new trainee record')
    t.equal(back.externalHrId, 'HR-77', 'the HR id follows the person')

    const explicit = await scim.patch(`Users/${user.id}`, { body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: `${RAPPORT}:role`, value: 'supervisor' }] } })
    t.equal(explicit.statusCode, 200)
    t.equal(explicit.json()[RAPPORT].role, 'supervisor', 'an explicit role in the request wins over the groups')
  })

  await t.test('a role-mapped group that grants a trainee places them by their cohort groups', async (t) => {
    const sup = await createUser(scim, userBody({ [RAPPORT]: { role: 'supervisor' } }))
    const cohortGroup = await createGroup(scim, groupBody({ members: [{ value: sup.id }] }))
    await map(coordinator, cohortGroup.id, { cohortId: cohort.id })
    const roleGroup = await createGroup(scim, groupBody())
    await map(admin, roleGroup.id, { role: 'trainee' })
    await scim.patch(`Groups/${roleGroup.id}`, { body: oktaGroups.addMember(sup.id) })
    t.equal((await traineeOf(sup.id)).cohortId, cohort.id)
  })
})
