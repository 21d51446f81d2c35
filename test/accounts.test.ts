import { randomUUID } from 'node:crypto'
import t from 'tap'
import { count, eq } from 'drizzle-orm'
import { accounts, auditEvents, coordinatorPrograms } from '../src/db/schema/index.ts'
import { buildTestApp, client } from './helpers/app.ts'
import { makeProgram, makeSupervisor, makeTrainee, makeWorld } from './helpers/factories.ts'
import { auditRowsFor } from './helpers/accounts.ts'

const { app, db, adminKey } = await buildTestApp(t)
const world = await makeWorld(db)
const admin = client(app, adminKey)
const adminId = (await admin.get('/v1/me')).json().account.id as string

const countOf = async (table: typeof accounts | typeof auditEvents) => (await db.select({ n: count() }).from(table))[0]!.n

t.test('creating an account checks the link its role needs', async (t) => {
  const accountsBefore = await countOf(accounts)
  const auditBefore = await countOf(auditEvents)
  const refused = async (body: object, pointers: string[], why: string) => {
    const res = await admin.post('/v1/accounts', { body })
    t.equal(res.statusCode, 422, why)
    t.match(res.headers['content-type'], /application\/problem\+json/)
    t.equal(res.json().type, '/problems/unprocessable')
    t.same(res.json().errors.map((e: { pointer: string }) => e.pointer).sort(), pointers.sort(), `${why}: pointers`)
  }
  await refused({ role: 'supervisor', name: 'S' }, ['/supervisorId'], 'a supervisor account needs supervisorId')
  await refused({ role: 'supervisor', name: 'S', supervisorId: randomUUID() }, ['/supervisorId'], 'the linked supervisor must exist')
  await refused({ role: 'trainee', name: 'T', traineeId: world.trainee.id, supervisorId: world.supervisor.id }, ['/supervisorId'],
    'a trainee account may not link a supervisor')
  await refused({ role: 'integrator', name: 'I', organizationId: randomUUID() }, ['/organizationId'], 'the linked organization must exist')
  await refused({ role: 'integrator', name: 'I', organizationId: world.org.id, programIds: [world.program.id] }, ['/programIds'],
    'only coordinators have programmes')
  await refused({ role: 'coordinator', name: 'C', programIds: [world.program.id, randomUUID()] }, ['/programIds/1'],
    'each programme must exist, and the pointer names the one that does not')
  await refused({ role: 'admin', name: 'A', organizationId: world.org.id, traineeId: world.trainee.id }, ['/organizationId', '/traineeId'],
    'an admin links to nothing, and every wrong link is reported')

  const badRole = await admin.post('/v1/accounts', { body: { role: 'owner', name: 'X' } })
  t.equal(badRole.statusCode, 400, 'an unknown role is a validation error')
  t.ok(badRole.json().errors.some((e: { pointer: string }) => e.pointer === '/role'))
  const unknownField = await admin.post('/v1/accounts', { body: { role: 'admin', name: 'X', password: 'x' } })
  t.equal(unknownField.statusCode, 400)
  t.same(unknownField.json().errors, [{ pointer: '/password', detail: 'is not a known field' }], 'unknown fields are refused')

  t.equal(await countOf(accounts), accountsBefore, 'no refused request created an account')
  t.equal(await countOf(auditEvents), auditBefore, 'nor an audit row')

  // The world's people have their accounts already (one per person): new people get theirs.
  const sam = await makeSupervisor(db, world.org.id)
  const tia = await makeTrainee(db, world.org.id, world.cohort.id)
  const created = {
    supervisor: { role: 'supervisor', name: 'Sam Super', email: 'sam@example.org', supervisorId: sam.id },
    trainee: { role: 'trainee', name: 'Tia Trainee', traineeId: tia.id },
    integrator: { role: 'integrator', name: 'HR sync', organizationId: world.org.id },
    coordinator: { role: 'coordinator', name: 'Cora', programIds: [world.program.id, world.otherProgram.id] },
    admin: { role: 'admin', name: 'Second admin', supervisorId: null }
  }
  for (const [role, body] of Object.entries(created)) {
    const res = await admin.post('/v1/accounts', { body })
    t.equal(res.statusCode, 201, `a ${role} account with the right link is created`)
    const account = res.json()
    t.match(account, { role, name: body.name, active: true })
    t.equal(res.headers.location, `/v1/accounts/${account.id}`)
    t.match(res.headers.etag, /^".+"$/, 'the new account comes with its ETag')
    const [audit] = await auditRowsFor(db, 'account', account.id)
    t.match(audit, { action: 'account.create', actorAccountId: adminId, changes: { role, name: body.name } }, `the ${role} account's creation is audited`)
  }
  const coordinator = (await admin.get('/v1/accounts', { query: { role: 'coordinator' } })).json().items
    .find((a: { name: string }) => a.name === 'Cora')
  t.same(coordinator.programIds, [world.program.id, world.otherProgram.id].sort(), 'a coordinator\'s programmes are stored')
})

t.test('non-admins cannot manage accounts or keys', async (t) => {
  const id = adminId
  for (const role of ['coordinator', 'supervisor', 'trainee', 'integrator'] as const) {
    const as = client(app, world.keys[role])
    const calls = [
      as.get('/v1/accounts'),
      as.post('/v1/accounts', { body: { role: 'admin', name: 'Me, promoted' } }),
      as.get(`/v1/accounts/${id}`),
      as.patch(`/v1/accounts/${id}`, { body: { name: 'x' } }),
      as.post(`/v1/accounts/${id}/deactivate`),
      as.post(`/v1/accounts/${id}/reactivate`),
      as.post(`/v1/accounts/${id}/api-keys`, { body: { name: 'x' } }),
      as.get(`/v1/accounts/${id}/api-keys`)
    ]
    const statuses = (await Promise.all(calls)).map((r) => r.statusCode)
    // Coordinators may list, read, create and reactivate accounts, but only trainee and supervisor accounts of their
    // programs' organizations: the admin's account is not found, an admin account not creatable.
    const coordinatorMay = [200, 422, 404, 403, 403, 404, 403, 403]
    const expected = calls.map((_, i) => (role === 'coordinator' ? coordinatorMay[i] : 403))
    t.same(statuses, expected, `a ${role} is refused every admin route (a coordinator: the admin's account is out of scope)`)
  }
  const coordinatorId = (await client(app, world.keys.coordinator).get('/v1/me')).json().account.id as string
  const listed = (await client(app, world.keys.coordinator).get('/v1/accounts', { query: { limit: '200' } })).json().items as { id: string; role: string }[]
  t.ok(listed.some((a) => a.role === 'supervisor') && listed.some((a) => a.role === 'trainee'), 'a coordinator lists the accounts of their people')
  t.same(listed.filter((a) => a.role === 'admin' || a.role === 'coordinator').map((a) => a.id), [coordinatorId],
    'never an admin\'s or another coordinator\'s: of coordinators only their own')
  const admins = await db.select({ n: count() }).from(accounts).where(eq(accounts.name, 'Me, promoted'))
  t.equal(admins[0]!.n, 0, 'no account was created by a non-admin')
})

t.test('accounts are listed newest first, filtered and paged', async (t) => {
  const all = (await admin.get('/v1/accounts', { query: { limit: '200' } })).json()
  t.equal(all.nextCursor, null)
  const times = all.items.map((a: { createdAt: string }) => a.createdAt)
  t.same(times, [...times].sort().reverse(), 'newest first')

  const supervisors = (await admin.get('/v1/accounts', { query: { role: 'supervisor' } })).json().items
  t.ok(supervisors.length >= 3, 'the world\'s two supervisor accounts and the one created above')
  t.ok(supervisors.every((a: { role: string }) => a.role === 'supervisor'), 'role filter')

  const seen: string[] = []
  let cursor: string | null = null
  do {
    const page: { items: { id: string }[]; nextCursor: string | null } =
      (await admin.get('/v1/accounts', { query: { limit: '3', ...(cursor ? { cursor } : {}) } })).json()
    t.ok(page.items.length <= 3)
    seen.push(...page.items.map((a) => a.id))
    cursor = page.nextCursor
  } while (cursor)
  t.same(seen, all.items.map((a: { id: string }) => a.id), 'paging in threes returns every account once, in order')

  const bad = await admin.get('/v1/accounts', { query: { cursor: 'nonsense' } })
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().errors[0].pointer, '/query/cursor')

  const target = supervisors[0]
  await admin.post(`/v1/accounts/${target.id}/deactivate`)
  const inactive = (await admin.get('/v1/accounts', { query: { active: 'false' } })).json().items
  t.same(inactive.map((a: { id: string }) => a.id), [target.id], 'active=false lists only deactivated accounts')
  const active = (await admin.get('/v1/accounts', { query: { active: 'true', limit: '200' } })).json().items
  t.notOk(active.some((a: { id: string }) => a.id === target.id), 'active=true leaves it out')
  await admin.post(`/v1/accounts/${target.id}/reactivate`)

  t.equal((await admin.get(`/v1/accounts/${randomUUID()}`)).statusCode, 404, 'an unknown account is not found')
})

t.test('PATCH changes name, email and a coordinator\'s programmes, honouring If-Match', async (t) => {
  const created = await admin.post('/v1/accounts', { body: { role: 'coordinator', name: 'Cody', programIds: [world.program.id] } })
  const id = created.json().id as string
  const etag0 = created.headers.etag as string

  const renamed = await admin.patch(`/v1/accounts/${id}`, { body: { name: 'Cody Coordinator', email: 'cody@example.org' }, headers: { 'if-match': etag0 } })
  t.equal(renamed.statusCode, 200)
  t.match(renamed.json(), { name: 'Cody Coordinator', email: 'cody@example.org' })
  const etag1 = renamed.headers.etag as string
  t.not(etag1, etag0, 'a change gives a new ETag')
  t.equal((await admin.get(`/v1/accounts/${id}`)).headers.etag, etag1, 'GET answers the same ETag')

  const stale = await admin.patch(`/v1/accounts/${id}`, { body: { name: 'Lost update' }, headers: { 'if-match': etag0 } })
  t.equal(stale.statusCode, 412, 'a stale If-Match is refused')
  t.equal(stale.json().type, '/problems/precondition-failed')
  t.equal((await admin.get(`/v1/accounts/${id}`)).json().name, 'Cody Coordinator', 'and changes nothing')

  const newProgram = await makeProgram(db, world.rubricVersion.id)
  const moved = await admin.patch(`/v1/accounts/${id}`, { body: { programIds: [newProgram.id, world.otherProgram.id] } })
  t.equal(moved.statusCode, 200, 'If-Match is optional on accounts')
  t.same(moved.json().programIds, [newProgram.id, world.otherProgram.id].sort())
  const links = await db.select().from(coordinatorPrograms).where(eq(coordinatorPrograms.accountId, id))
  t.same(links.map((l) => l.programId).sort(), [newProgram.id, world.otherProgram.id].sort(), 'programIds replaces the set')

  const audits = await auditRowsFor(db, 'account', id)
  t.same(audits.map((a) => a.action), ['account.create', 'account.update', 'account.update'])
  t.same(audits[1]!.changes, {
    name: { from: 'Cody', to: 'Cody Coordinator' },
    email: { from: null, to: 'cody@example.org' }
  }, 'the audit row says what changed, from what to what')
  t.same(audits[2]!.changes, { programIds: { from: [world.program.id], to: [newProgram.id, world.otherProgram.id].sort() } })

  const same = await admin.patch(`/v1/accounts/${id}`, { body: { name: 'Cody Coordinator', programIds: [world.otherProgram.id, newProgram.id] } })
  t.equal(same.statusCode, 200)
  t.equal(same.headers.etag, moved.headers.etag, 'a patch that changes nothing keeps the ETag')
  t.equal((await auditRowsFor(db, 'account', id)).length, 3, 'and writes no audit row')

  const unknownProgram = await admin.patch(`/v1/accounts/${id}`, { body: { programIds: [randomUUID()] } })
  t.equal(unknownProgram.statusCode, 422)
  t.equal(unknownProgram.json().errors[0].pointer, '/programIds/0')

  const supervisorAccount = (await admin.get('/v1/accounts', { query: { role: 'supervisor' } })).json().items[0]
  const notCoordinator = await admin.patch(`/v1/accounts/${supervisorAccount.id}`, { body: { programIds: [world.program.id] } })
  t.equal(notCoordinator.statusCode, 422, 'only coordinators have programmes')
  t.equal(notCoordinator.json().errors[0].pointer, '/programIds')

  const roleChange = await admin.patch(`/v1/accounts/${id}`, { body: { role: 'admin' } })
  t.equal(roleChange.statusCode, 400, 'the role cannot be changed')
  t.equal(roleChange.json().errors[0].pointer, '/role')
  t.equal((await admin.patch(`/v1/accounts/${id}`, { body: {} })).statusCode, 400, 'an empty patch is refused')
  t.equal((await admin.patch(`/v1/accounts/${randomUUID()}`, { body: { name: 'x' } })).statusCode, 404)
})

t.test('deactivation locks an account out at once; the last admin cannot be deactivated', async (t) => {
  const supervisorKey = world.keys.otherSupervisor
  const me = (await client(app, supervisorKey).get('/v1/me')).json().account
  const off = await admin.post(`/v1/accounts/${me.id}/deactivate`)
  t.equal(off.statusCode, 200)
  t.equal(off.json().active, false)
  const locked = await client(app, supervisorKey).get('/v1/me')
  t.equal(locked.statusCode, 401, 'a deactivated account\'s key is refused immediately')
  t.equal(locked.json().type, '/problems/unauthorized')
  t.equal((await admin.post(`/v1/accounts/${me.id}/deactivate`)).statusCode, 200, 'deactivating twice is harmless')
  const on = await admin.post(`/v1/accounts/${me.id}/reactivate`)
  t.equal(on.json().active, true)
  t.equal((await client(app, supervisorKey).get('/v1/me')).statusCode, 200, 'reactivation restores the account\'s keys')
  const audits = await auditRowsFor(db, 'account', me.id)
  t.same(audits.map((a) => [a.action, a.changes]), [
    ['account.deactivate', { active: { from: true, to: false } }],
    ['account.reactivate', { active: { from: false, to: true } }]
  ], 'each real change is audited once')

  const secondAdmin = (await admin.get('/v1/accounts', { query: { role: 'admin' } })).json().items
    .find((a: { name: string }) => a.name === 'Second admin')
  await admin.post(`/v1/accounts/${secondAdmin.id}/deactivate`)
  const last = await admin.post(`/v1/accounts/${adminId}/deactivate`)
  t.equal(last.statusCode, 409, 'the only active admin cannot deactivate itself')
  t.equal(last.json().type, '/problems/conflict')
  t.equal((await admin.get(`/v1/accounts/${adminId}`)).json().active, true, 'and stays active')

  await admin.post(`/v1/accounts/${secondAdmin.id}/reactivate`)
  const secondKey = (await admin.post(`/v1/accounts/${secondAdmin.id}/api-keys`, { body: { name: 'second' } })).json().key as string
  const both = await Promise.all([
    admin.post(`/v1/accounts/${secondAdmin.id}/deactivate`),
    client(app, secondKey).post(`/v1/accounts/${adminId}/deactivate`)
  ])
  t.same(both.map((r) => r.statusCode).sort(), [200, 409], 'two admins deactivating each other at once: exactly one succeeds')
  const activeAdmins = await admin.get('/v1/accounts', { query: { role: 'admin', active: 'true' } })
  const survivor = activeAdmins.statusCode === 200 ? admin : client(app, secondKey)
  t.equal((await survivor.get('/v1/accounts', { query: { role: 'admin', active: 'true' } })).json().items.length, 1, 'one admin remains')
  // Leave both admins active for the other tests.
  await survivor.post(`/v1/accounts/${adminId}/reactivate`)
  await survivor.post(`/v1/accounts/${secondAdmin.id}/reactivate`)
  t.equal((await admin.get('/v1/me')).statusCode, 200)
})

t.test('GET /me tells every role who it is, its scope and the key in use', async (t) => {
  const expected = {
    coordinator: { programIds: [world.program.id], supervisorId: null, traineeId: null, organizationId: null },
    supervisor: { supervisorId: world.supervisor.id, traineeId: null, organizationId: null, programIds: [] },
    trainee: { traineeId: world.trainee.id, supervisorId: null, organizationId: null, programIds: [] },
    integrator: { organizationId: world.org.id, supervisorId: null, traineeId: null, programIds: [] }
  }
  for (const [role, scope] of Object.entries(expected)) {
    const key = world.keys[role as keyof typeof expected]
    const res = await client(app, key).get('/v1/me')
    t.equal(res.statusCode, 200)
    t.match(res.json(), { account: { role, active: true, ...scope }, apiKey: { prefix: key.slice(0, 10), name: 'test' } }, `/me for a ${role}`)
    t.notOk('key' in res.json().apiKey, 'never the secret')
  }
  const me = (await admin.get('/v1/me')).json()
  t.match(me.account, { id: adminId, role: 'admin', supervisorId: null, programIds: [] }, '/me for an admin')
  t.same(Object.keys(me.apiKey).sort(), ['id', 'name', 'prefix'])
  t.equal((await client(app, null).get('/v1/me')).statusCode, 401)
})
