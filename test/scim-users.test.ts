import t from 'tap'
import { count, eq } from 'drizzle-orm'
import { accounts, scimUsers, supervisors, trainees } from '../src/db/schema/index.ts'
import { client } from './helpers/app.ts'
import { makeAccount } from './helpers/factories.ts'
import { buildScimWorld, createUser, isScimError, nullsIn, SCIM_TYPE, URNS, userBody, type ScimClient } from './helpers/scim.ts'
import { auditTrail } from './helpers/structure.ts'
import { entra, okta } from './fixtures/scim-vendor-bodies.ts'

const { ENTERPRISE, RAPPORT, CORE } = URNS
const q = (filter: string, extra = '') => `Users?filter=${encodeURIComponent(filter)}${extra}`

/** SCIM Users over Rapport's trainees and supervisors: Okta's and Entra's documented requests, RFC 7644 §3.3 create. Embedded database or a server. */
t.test('SCIM users', async (t) => {
  const w = await buildScimWorld(t)
  const { db, scim } = w
  const create = (s: ScimClient, body: unknown) => createUser(s, body)
  const accountOfTrainee = async (traineeId: string) => (await db.select().from(accounts).where(eq(accounts.traineeId, traineeId)))[0]
  const personOf = async (scimId: string) => (await db.select().from(scimUsers).where(eq(scimUsers.id, scimId)))[0]!

  await t.test('Okta: the documented create, lookup, replace, deactivate and reactivate', async (t) => {
    const before = await scim.get(okta.existsQuery)
    t.equal(before.statusCode, 200)
    t.same(before.json(), { schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] },
      'no such user yet: an empty ListResponse with integer totals')

    const created = await scim.post('Users', { body: okta.create })
    t.equal(created.statusCode, 201)
    t.match(created.headers['content-type'], SCIM_TYPE)
    const user = created.json()
    t.match(user, {
      schemas: [CORE, ENTERPRISE, RAPPORT], userName: 'test.user@okta.local', externalId: '00ujl29u0le5T6Aj10h7',
      name: { givenName: 'Test', familyName: 'User' }, displayName: 'Test User', active: true,
      emails: [{ value: 'test.user@okta.local', type: 'work', primary: true }], [RAPPORT]: { role: 'trainee' },
      meta: { resourceType: 'User', location: `http://localhost:3000/scim/v2/Users/${user.id}` }
    })
    t.notOk('password' in user, 'the password is never kept nor shown')
    t.equal(created.headers.location, user.meta.location, 'Location is the resource (RFC 7644 §3.3)')
    t.equal(created.headers.etag, user.meta.version, 'the ETag is meta.version')
    t.same(nullsIn(user), [], 'no nulls')

    const row = await personOf(user.id)
    const [trainee] = await db.select().from(trainees).where(eq(trainees.id, row.traineeId!))
    t.match(trainee, { organizationId: w.org.id, name: 'Test User', email: 'test.user@okta.local', cohortId: null, active: true },
      'a trainee of the key\'s organization (the default provisioning role)')
    const account = await accountOfTrainee(trainee!.id)
    t.match(account, { role: 'trainee', email: 'test.user@okta.local', passwordHash: null, active: true }, 'a sign-in account with the work email and no password')

    const found = await scim.get(okta.existsQuery)
    t.equal(found.json().totalResults, 1)
    t.same(found.json().Resources[0], user, 'the lookup finds it as created')
    const page = (await scim.get(okta.specFirstUser)).json()
    t.match(page, { totalResults: 1, startIndex: 1, itemsPerPage: 1 }, 'Okta\'s spec test: a page of one')
    t.same(page.Resources.map((r: { id: string }) => r.id), [user.id])
    for (const name of [user.userName, user.userName.toUpperCase()]) {
      t.same((await scim.get(okta.specFilterByUserName(name))).json().Resources.map((r: { id: string }) => r.id), [user.id],
        `Okta's spec test: filter=userName eq "${name}" (userName ignores case)`)
    }

    const replaced = await scim.put(`Users/${user.id}`, { body: okta.update(user.id) })
    t.equal(replaced.statusCode, 200)
    t.match(replaced.json(), { name: { givenName: 'Another', familyName: 'User' }, active: true })
    t.notOk('externalId' in replaced.json(), 'a PUT replaces the whole resource: the externalId it left out is gone')
    t.equal(replaced.json().displayName, 'Another User', 'displayName shows the person\'s name: given + family, as the PUT sends no displayName')
    t.equal((await db.select().from(trainees).where(eq(trainees.id, trainee!.id)))[0]!.name, 'Another User')
    t.equal((await accountOfTrainee(trainee!.id))!.name, 'Another User', 'the account keeps the person\'s name')

    const off = await scim.patch(`Users/${user.id}`, { body: okta.deactivate })
    t.equal(off.statusCode, 200)
    t.equal(off.json().active, false)
    t.equal((await db.select().from(trainees).where(eq(trainees.id, trainee!.id)))[0]!.active, false, 'the trainee is deactivated, not deleted')
    t.equal((await accountOfTrainee(trainee!.id))!.active, false, 'and their access ends with it')
    t.equal((await scim.get(`Users/${user.id}`)).json().active, false, 'still returned by GET')

    const pwd = await scim.patch(`Users/${user.id}`, { body: okta.password })
    t.equal(pwd.statusCode, 200, 'a password push is accepted and ignored (changePassword is not supported)')

    const on = await scim.patch(`Users/${user.id}`, { body: okta.reactivate })
    t.equal(on.json().active, true)
    t.equal((await accountOfTrainee(trainee!.id))!.active, true, 'reactivation by the identity provider restores access')
    t.same((await auditTrail(db, 'trainee', trainee!.id)).map((a) => a.action),
      ['trainee.create', 'trainee.update', 'trainee.deactivate', 'trainee.reactivate'], 'each change of the person is audited')
    t.same((await auditTrail(db, 'scim_user', user.id)).map((a) => a.action), ['scim_user.create', 'scim_user.update'])
  })

  await t.test('Entra: the documented create and queries', async (t) => {
    t.equal((await scim.get(entra.queryZero)).json().totalResults, 0, 'zero results is a ListResponse, not a 404')
    const created = await scim.post('Users', { body: entra.create })
    t.equal(created.statusCode, 201)
    const user = created.json()
    t.match(user, {
      userName: entra.create.userName, externalId: entra.create.externalId,
      name: { formatted: 'givenName familyName', givenName: 'givenName', familyName: 'familyName' }, active: true,
      emails: [{ value: entra.create.emails[0]!.value, type: 'work' }]
    })
    for (const url of [entra.queryByUserName, entra.queryByExternalId, entra.queryByWorkEmail(entra.create.emails[0]!.value)]) {
      const found = await scim.get(url)
      t.same(found.json().Resources.map((r: { id: string }) => r.id), [user.id], url)
    }
    t.equal((await scim.get(`${entra.queryByUserName}&aadOptscim062020=true`)).json().totalResults, 1, 'the tenant URL\'s flag is ignored')
    t.equal((await scim.get(`/scim/v2/${q(`userName eq "${entra.create.userName.toUpperCase()}"`)}`)).json().totalResults, 1,
      'userName matches ignoring case')
    t.equal((await scim.get(`/scim/v2/${q(`externalId eq "${entra.create.externalId.toUpperCase()}"`)}`)).json().totalResults, 0,
      'externalId is caseExact')
  })

  await t.test('Entra: both PATCH styles, each op applied', async (t) => {
    // The published values of each style's "replace multiple attributes" request (the compliant one sends no externalId).
    const sent = {
      legacy: { displayName: 'Pvlo', givenName: 'Gtfd', familyName: 'Pkqf', email: 'TestBcwqnm@test.microsoft.com', hrId: 'Eqpj', externalId: 'Eqpj' },
      compliant: { displayName: 'Bjfe', givenName: 'Kkom', familyName: 'Unua', email: 'TestMhvaes@test.microsoft.com', hrId: 'Aklq', externalId: undefined }
    }
    for (const style of ['legacy', 'compliant'] as const) {
      const v = sent[style]
      const user = await create(scim, userBody())
      const patched = await scim.patch(`Users/${user.id}`, { body: entra[style].replaceMany })
      t.equal(patched.statusCode, 200, `${style}: replace many`)
      t.match(patched.json(), {
        displayName: v.displayName, name: { givenName: v.givenName, familyName: v.familyName },
        emails: [{ value: v.email, type: 'work' }], [ENTERPRISE]: { employeeNumber: v.hrId }
      }, `${style}: dotted, URN-qualified and filtered keys`)
      t.equal(patched.json().externalId, v.externalId, `${style}: externalId as sent (or absent)`)
      const row = await personOf(user.id)
      t.match((await db.select().from(trainees).where(eq(trainees.id, row.traineeId!)))[0], { name: v.displayName, email: v.email, externalHrId: v.hrId },
        `${style}: employeeNumber is the trainee's HR id`)
      t.equal((await accountOfTrainee(row.traineeId!))!.email, v.email, `${style}: the sign-in email follows`)
      t.equal((await scim.patch(`Users/${user.id}`, { body: entra[style].addAttribute })).statusCode, 200, `${style}: an attribute Rapport does not keep is ignored`)
      const off = await scim.patch(`Users/${user.id}`, { body: entra[style].disable })
      t.equal(off.json().active, false, `${style}: disable ("False" as a string too)`)
      // The next round's user takes the same email and HR id (both unique): free them.
      const freed = await scim.patch(`Users/${user.id}`, { body: { Operations: [
        { op: 'replace', path: 'emails[type eq "work"].value', value: `${style}@example.org` },
        { op: 'remove', path: `${ENTERPRISE}:employeeNumber` }
      ] } })
      t.equal(freed.statusCode, 200)
    }
    const user = await create(scim, userBody())
    t.match((await scim.patch(`Users/${user.id}`, { body: entra.updateMultiValued })).json(),
      { emails: [{ value: 'updatedEmail@microsoft.com' }], name: { familyName: 'updatedFamilyName' } }, 'Update User [Multi-valued properties]')
    t.equal((await scim.patch(`Users/${user.id}`, { body: entra.updateSingleValued })).json().userName, entra.updateSingleValued.Operations[0]!.value,
      'Update User [Single-valued properties]')
    t.match((await scim.patch(`Users/${user.id}`, { body: entra.addManager })).json()[ENTERPRISE],
      { manager: { value: '2819c223-7f76-453a-919d-413861904646' } }, 'the manager is stored and shown as given')
    t.equal((await scim.patch(`Users/${user.id}`, { body: entra.disable })).json().active, false, 'Disable User')
    const deleted = await scim.delete(`Users/${user.id}`)
    t.equal(deleted.statusCode, 204)
  })

  await t.test('RFC 7644 §3.3 create: uniqueness, required attributes, roles, accounts', async (t) => {
    const first = await create(scim, userBody({ userName: 'Case.Person@example.org', emails: [{ value: 'case@example.org', type: 'work' }] }))
    const traineeCount = async () => (await db.select({ n: count() }).from(trainees))[0]!.n
    const before = await traineeCount()
    const dup = await scim.post('Users', { body: userBody({ userName: 'case.person@EXAMPLE.org' }) })
    isScimError(t, dup, 409, 'uniqueness', 'a userName differing only in case is taken')
    t.equal(await traineeCount(), before, 'nothing written')

    const elsewhere = await w.otherScim.post('Users', { body: userBody({ userName: 'Case.Person@example.org' }) })
    t.equal(elsewhere.statusCode, 201, 'userNames are unique per organization only')

    const taken = await scim.post('Users', { body: userBody({ emails: [{ value: 'CASE@example.org', type: 'work' }] }) })
    const error = isScimError(t, taken, 409, 'uniqueness', 'an email that already signs in elsewhere')
    t.match(error.detail, /already signs in to another Rapport account/)
    t.equal(await traineeCount(), before + 1, 'nothing written by the refused one (only the other organization\'s)')

    isScimError(t, await scim.post('Users', { body: { schemas: [CORE], emails: [{ value: 'x@example.org' }] } }), 400, 'invalidValue', 'no userName')
    isScimError(t, await scim.post('Users', { body: { schemas: [CORE], userName: 'no-email' } }), 400, 'invalidValue', 'no email to sign in with')
    isScimError(t, await scim.post('Users', { body: userBody({ active: 'maybe' }) }), 400, 'invalidValue', 'active is a boolean')
    isScimError(t, await scim.post('Users', { body: userBody({ [RAPPORT]: { role: 'coordinator' } }) }), 400, 'invalidValue', 'SCIM grants no coordinator role')

    const sup = await create(scim, userBody({ [RAPPORT]: { role: 'supervisor', discipline: 'nursing' }, [ENTERPRISE]: { department: 'Palliative care', employeeNumber: '007' } }))
    t.match(sup, { [RAPPORT]: { role: 'supervisor', discipline: 'nursing' }, [ENTERPRISE]: { department: 'Palliative care', employeeNumber: '007' } })
    const supRow = await personOf(sup.id)
    t.ok(supRow.supervisorId, 'a supervisor row')
    t.match((await db.select().from(supervisors).where(eq(supervisors.id, supRow.supervisorId!)))[0], { discipline: 'nursing', externalHrId: '007' },
      'employeeNumber is the supervisor\'s HR id, kept as a string')
    const sameHrId = await scim.post('Users', { body: userBody({ [RAPPORT]: { role: 'supervisor' }, [ENTERPRISE]: { employeeNumber: '007' } }) })
    isScimError(t, sameHrId, 409, 'uniqueness', 'an HR id is unique within the organization')
    const cleared = await scim.patch(`Users/${sup.id}`, { body: { Operations: [{ op: 'remove', path: `${ENTERPRISE}:employeeNumber` }] } })
    t.notOk('employeeNumber' in (cleared.json()[ENTERPRISE] ?? {}), 'removed')
    t.equal((await db.select().from(supervisors).where(eq(supervisors.id, supRow.supervisorId!)))[0]!.externalHrId, null)

    const json = await scim.post('Users', { body: userBody(), json: true })
    t.equal(json.statusCode, 201, 'application/json bodies are accepted too')
    t.same(first.active, true)
  })

  await t.test('the organization\'s provisioning role: set by an admin only, used when the IdP sends none', async (t) => {
    const admin = client(w.app, w.adminKey)
    const org = (await admin.get(`/v1/organizations/${w.otherOrg.id}`))
    t.equal(org.json().provisioningRole, 'trainee', 'trainee unless an admin changes it')
    const { key } = await makeAccount(db, 'coordinator', { programIds: [] })
    const coordinator = await client(w.app, key).patch(`/v1/organizations/${w.otherOrg.id}`, { body: { provisioningRole: 'supervisor' } })
    t.not(coordinator.statusCode, 200, 'a coordinator may not change it')
    const set = await admin.patch(`/v1/organizations/${w.otherOrg.id}`, { body: { provisioningRole: 'supervisor' } })
    t.equal(set.statusCode, 200)
    t.equal(set.json().provisioningRole, 'supervisor')
    const user = await create(w.otherScim, userBody())
    t.equal((user[RAPPORT] as { role: string }).role, 'supervisor')
    const trainee = await create(w.otherScim, userBody({ [RAPPORT]: { role: 'trainee' } }))
    t.equal((trainee[RAPPORT] as { role: string }).role, 'trainee', 'the extension wins over the default')
  })
})
