import t from 'tap'
import { asc, count, eq, gt } from 'drizzle-orm'
import { accounts, auditEvents, scimUsers, supervisors, trainees } from '../src/db/schema/index.ts'
import { buildScimWorld, createUser, isScimError, URNS, userBody } from './helpers/scim.ts'

const { ENTERPRISE, RAPPORT } = URNS

/**
 * POST /scim/v2/Users takes one statement to check and one to write (src/modules/scim/user-insert.ts):
 * what it writes and audits, the order of its refusals, and that a refusal, or a create racing
 * another past the checks, writes nothing. Embedded database or a server.
 */
t.test('SCIM user create: writes, audit rows, refusals', async (t) => {
  const w = await buildScimWorld(t)
  const { db, scim } = w
  const lastAuditId = async () => (await db.select({ id: auditEvents.id }).from(auditEvents).orderBy(asc(auditEvents.id))).at(-1)?.id ?? 0
  const auditSince = (id: number) => db.select().from(auditEvents).where(gt(auditEvents.id, id)).orderBy(asc(auditEvents.id))
  const rows = async () => Promise.all([trainees, supervisors, accounts, scimUsers, auditEvents].map(async (table) => (await db.select({ n: count() }).from(table))[0]!.n))

  await t.test('a trainee: the person, the account, the scim_users row and their three audit rows; the answer is what a GET reads', async (t) => {
    const before = await lastAuditId()
    const body = userBody({
      externalId: '00uCreateAudit', name: { givenName: 'Ada', familyName: 'Byron' },
      [ENTERPRISE]: { employeeNumber: 'HR-AUDIT-1', department: 'Wards', manager: { value: 'mgr-1', displayName: 'Mo' } }
    })
    const user = await createUser(scim, body)
    const [row] = await db.select().from(scimUsers).where(eq(scimUsers.id, user.id))
    const traineeId = row!.traineeId!
    const [account] = await db.select().from(accounts).where(eq(accounts.traineeId, traineeId))
    const audit = await auditSince(before)
    const accountId = (await w.db.select().from(accounts).where(eq(accounts.organizationId, w.org.id)))[0]!.id
    t.same(audit.map((a) => [a.action, a.objectType, a.objectId, a.actorAccountId]), [
      ['trainee.create', 'trainee', traineeId, accountId],
      ['account.create', 'account', account!.id, accountId],
      ['scim_user.create', 'scim_user', user.id, accountId]
    ], 'three rows in the order of the writes, by the integrator')
    t.equal(new Set(audit.map((a) => a.requestId)).size, 1, 'one request id')
    t.equal(new Set(audit.map((a) => a.occurredAt.getTime())).size, 1, 'one moment (one transaction)')
    t.same(audit[0]!.changes, { organizationId: w.org.id, cohortId: null, name: 'Ada Byron', email: body.userName, discipline: null, externalHrId: 'HR-AUDIT-1' })
    t.same(audit[1]!.changes, { role: 'trainee', name: 'Ada Byron', email: body.userName, traineeId })
    t.same(audit[2]!.changes, {
      organizationId: w.org.id, userName: body.userName, externalId: '00uCreateAudit', givenName: 'Ada', familyName: 'Byron', formattedName: null,
      displayName: null, department: 'Wards', managerId: 'mgr-1', managerDisplayName: 'Mo', traineeId
    })
    t.match(account, { role: 'trainee', name: 'Ada Byron', email: body.userName, active: true, passwordHash: null })
    const read = await scim.get(`Users/${user.id}`)
    t.same(user, read.json(), 'the created resource is the one a GET reads, meta included')
    t.equal(read.headers.etag, user.meta.version)
  })

  await t.test('a supervisor (the extension\'s role) and a user provisioned inactive', async (t) => {
    const before = await lastAuditId()
    const sup = await createUser(scim, userBody({ [RAPPORT]: { role: 'supervisor', discipline: 'nursing' } }))
    const [row] = await db.select().from(scimUsers).where(eq(scimUsers.id, sup.id))
    t.same((await auditSince(before)).map((a) => [a.action, a.objectId]).slice(0, 1), [['supervisor.create', row!.supervisorId]])
    t.same((await scim.get(`Users/${sup.id}`)).json(), sup)

    const mark = await lastAuditId()
    const inactive = await createUser(scim, userBody({ active: false }))
    t.equal(inactive.active, false, 'answered inactive')
    const [r2] = await db.select().from(scimUsers).where(eq(scimUsers.id, inactive.id))
    t.match((await db.select().from(accounts).where(eq(accounts.traineeId, r2!.traineeId!)))[0], { active: false }, 'no access')
    t.same((await auditSince(mark)).map((a) => a.action).slice(0, 4), ['trainee.create', 'account.create', 'scim_user.create', 'trainee.deactivate'])
    t.same((await scim.get(`Users/${inactive.id}`)).json(), inactive, 'as a GET reads it')
  })

  await t.test('refusals in the services\' order: userName, then HR id (naming the holder), then email; each writes nothing', async (t) => {
    const held = await createUser(scim, userBody({ [ENTERPRISE]: { employeeNumber: 'HR-HELD' } }))
    const [heldRow] = await db.select().from(scimUsers).where(eq(scimUsers.id, held.id))
    const counts = await rows()
    const all = await scim.post('Users', { body: { ...userBody({ [ENTERPRISE]: { employeeNumber: 'HR-HELD' } }), userName: String(held.userName).toUpperCase(), emails: [{ value: held.userName }] } })
    t.match(isScimError(t, all, 409, 'uniqueness').detail, /already has userName/, 'userName first')
    const hrAndEmail = await scim.post('Users', { body: { ...userBody({ [ENTERPRISE]: { employeeNumber: 'HR-HELD' } }), emails: [{ value: held.userName }] } })
    const hr = isScimError(t, hrAndEmail, 409, 'uniqueness')
    t.equal(hr.detail, `Another trainee of this organization already has externalHrId "HR-HELD"; HR ids are unique within an organization. It is /v1/trainees/${heldRow!.traineeId}. (/externalHrId: is taken in this organization)`,
      'then the HR id, naming the trainee who holds it')
    const email = await scim.post('Users', { body: { ...userBody(), emails: [{ value: String(held.userName).toUpperCase() }] } })
    t.match(isScimError(t, email, 409, 'uniqueness').detail, /already signs in to another Rapport account/, 'then the email')
    const inactive = await scim.post('Users', { body: { ...userBody({ active: false }), emails: [{ value: held.userName }] } })
    isScimError(t, inactive, 409, 'uniqueness', 'refused when provisioned inactive too')
    t.same(await rows(), counts, 'no person, account, scim_users or audit row written by any refusal')
  })

  await t.test('two creates of one userName at once: one is made, the other answers 409 uniqueness and writes nothing', async (t) => {
    const body = userBody()
    const counts = await rows()
    const [a, b] = await Promise.all([scim.post('Users', { body }), scim.post('Users', { body: { ...body, emails: [{ value: 'racer.two@example.org' }] } })])
    t.same([a.statusCode, b.statusCode].sort(), [201, 409])
    isScimError(t, a.statusCode === 409 ? a : b, 409, 'uniqueness')
    const after = await rows()
    t.same(after.slice(0, 4).map((n, i) => n - counts[i]!), [1, 0, 1, 1], 'one trainee, one account, one scim_users row')
    t.equal(after[4]! - counts[4]!, 3, 'and its three audit rows only')
  })
})
