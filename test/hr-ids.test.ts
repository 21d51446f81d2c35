import t from 'tap'
import { count } from 'drizzle-orm'
import { supervisors } from '../src/db/schema/index.ts'
import { buildTestApp, client } from './helpers/app.ts'
import { makeAccount, makeCohort, makeOrganization, makeProgram, makeTrainee, makeWorld } from './helpers/factories.ts'
import { auditTrail, isProblem, listIds } from './helpers/structure.ts'

/** Supervisors' HR ids, and 409s on a duplicate that name the record holding the value (only when the caller may see it). */
t.test('HR ids and named duplicates', async (t) => {
  const { app, db, adminKey } = await buildTestApp(t)
  const admin = client(app, adminKey)
  const w = await makeWorld(db)
  const integrator = client(app, w.keys.integrator)
  const supervisorCount = async () => (await db.select({ n: count() }).from(supervisors))[0]!.n

  await t.test('a supervisor carries an externalHrId: created, read, changed, filtered and audited', async (t) => {
    const created = await integrator.post('/v1/supervisors', { body: { organizationId: w.org.id, name: 'Dana Reyes', email: 'dana@example.org', externalHrId: 'E-2077' } })
    t.equal(created.statusCode, 201)
    t.match(created.json(), { externalHrId: 'E-2077' })
    const id = created.json().id as string
    t.equal((await integrator.get(`/v1/supervisors/${id}`)).json().externalHrId, 'E-2077')
    t.same(await listIds(integrator, '/v1/supervisors', { externalHrId: 'E-2077' }), [id], 'the externalHrId filter finds exactly them')
    t.same(await listIds(integrator, '/v1/supervisors', { externalHrId: '02077' }), [], 'kept exactly: no near matches')
    const changed = await integrator.patch(`/v1/supervisors/${id}`, { body: { externalHrId: 'E-2078', email: 'dana.reyes@example.org' } })
    t.match(changed.json(), { externalHrId: 'E-2078', email: 'dana.reyes@example.org' })
    t.same((await auditTrail(db, 'supervisor', id))[1]!.changes, {
      externalHrId: { from: 'E-2077', to: 'E-2078' }, email: { from: 'dana@example.org', to: 'dana.reyes@example.org' }
    })
    t.equal((await integrator.patch(`/v1/supervisors/${id}`, { body: { externalHrId: null } })).json().externalHrId, null, 'and cleared')
  })

  await t.test('a taken HR id is a 409 naming the supervisor who holds it; other organizations may reuse it', async (t) => {
    const first = await integrator.post('/v1/supervisors', { body: { organizationId: w.org.id, name: 'A', email: 'a@example.org', externalHrId: 'S-1' } })
    const before = await supervisorCount()
    const dup = await integrator.post('/v1/supervisors', { body: { organizationId: w.org.id, name: 'B', email: 'b@example.org', externalHrId: 'S-1' } })
    isProblem(t, dup, 409, 'conflict', ['/externalHrId'], 'a second S-1')
    t.match(dup.json(), { code: 'hr-id-taken', existingId: first.json().id, existingUrl: `/v1/supervisors/${first.json().id}` })
    t.match(dup.json().detail, /supervisor .*externalHrId "S-1"/)
    t.equal(await supervisorCount(), before, 'nothing written')
    t.equal((await admin.get(dup.json().existingUrl)).statusCode, 200, 'existingUrl is where the record is read')

    const elsewhere = await client(app, w.keys.otherIntegrator).post('/v1/supervisors', {
      body: { organizationId: w.otherOrg.id, name: 'C', email: 'c@example.org', externalHrId: 'S-1' }
    })
    t.equal(elsewhere.statusCode, 201, 'the same HR id in another organization')
    const moved = await admin.patch(`/v1/supervisors/${elsewhere.json().id}`, { body: { organizationId: w.org.id } })
    isProblem(t, moved, 409, 'conflict', ['/externalHrId'], 'moving into the organization that has S-1')
    t.equal(moved.json().existingId, first.json().id)
    await integrator.post(`/v1/supervisors/${first.json().id}/deactivate`)
    t.equal((await integrator.post('/v1/supervisors', { body: { organizationId: w.org.id, name: 'D', email: 'd@example.org', externalHrId: 'S-1' } })).statusCode,
      409, 'a deactivated supervisor keeps their HR id')
    t.equal((await integrator.patch(`/v1/supervisors/${first.json().id}`, { body: { externalHrId: 'S-1', name: 'A2' } })).statusCode, 200,
      'keeping one\'s own HR id is no clash')
  })

  await t.test('two creates racing with one HR id: one is created, the other is a 409 hr-id-taken (the constraint backs the check)', async (t) => {
    for (const path of ['/v1/trainees', '/v1/supervisors']) {
      const body = (n: string) => ({ organizationId: w.org.id, name: n, email: `${n}@example.org`, externalHrId: `RACE-${path}` })
      const answers = await Promise.all([integrator.post(path, { body: body('r1') }), integrator.post(path, { body: body('r2') })])
      t.same(answers.map((a) => a.statusCode).sort(), [201, 409], path)
      t.equal(answers.find((a) => a.statusCode === 409)!.json().code, 'hr-id-taken')
    }
  })

  await t.test('a taken trainee HR id names the trainee; trainees and supervisors have HR ids of their own', async (t) => {
    const first = await integrator.post('/v1/trainees', { body: { organizationId: w.org.id, name: 'T', email: 't@example.org', externalHrId: 'X-9' } })
    const dup = await integrator.post('/v1/trainees', { body: { organizationId: w.org.id, name: 'U', email: 'u@example.org', externalHrId: 'X-9' } })
    isProblem(t, dup, 409, 'conflict', ['/externalHrId'])
    t.match(dup.json(), { code: 'hr-id-taken', existingId: first.json().id, existingUrl: `/v1/trainees/${first.json().id}` })
    const rename = await integrator.patch(`/v1/trainees/${w.trainee.id}`, { body: { externalHrId: 'X-9' } })
    t.equal(rename.json().existingId, first.json().id, 'renaming onto a taken HR id names its holder too')
    t.equal((await integrator.post('/v1/supervisors', { body: { organizationId: w.org.id, name: 'V', email: 'v@example.org', externalHrId: 'X-9' } })).statusCode,
      201, 'a supervisor may carry a trainee\'s HR id: the kinds are counted apart, as the unique constraints are')
  })

  await t.test('an email another account signs in with is a 409 naming it, but only when the caller may see it', async (t) => {
    const trainee1 = await makeTrainee(db, w.org.id, w.cohort.id)
    const taken = await admin.post('/v1/accounts', { body: { role: 'trainee', name: 'T', traineeId: trainee1.id, email: 'Sign.In@example.org' } })
    t.equal(taken.statusCode, 201)
    const trainee2 = await makeTrainee(db, w.org.id, w.cohort.id)
    const dup = await admin.post('/v1/accounts', { body: { role: 'trainee', name: 'T2', traineeId: trainee2.id, email: 'sign.in@EXAMPLE.org' } })
    isProblem(t, dup, 409, 'conflict', ['/email'], 'the same email, in another case')
    t.match(dup.json(), { code: 'email-taken', existingId: taken.json().id, existingUrl: `/v1/accounts/${taken.json().id}` })

    const mine = await admin.post('/v1/accounts', { body: { role: 'trainee', name: 'T2', traineeId: trainee2.id, email: 'own@example.org' } })
    const renamed = await admin.patch(`/v1/accounts/${mine.json().id}`, { body: { email: 'SIGN.IN@example.org' } })
    isProblem(t, renamed, 409, 'conflict', ['/email'], 'changing an email onto a taken one')
    t.equal(renamed.json().existingId, taken.json().id)

    // An account the coordinator cannot see: a person of an organization no programme of theirs serves.
    const farOrg = await makeOrganization(db)
    const farTrainee = await makeTrainee(db, farOrg.id, await makeCohort(db, (await makeProgram(db)).id).then((c) => c.id))
    const far = await admin.post('/v1/accounts', { body: { role: 'trainee', name: 'F', traineeId: farTrainee.id, email: 'far@example.org' } })
    t.equal(far.statusCode, 201)
    const trainee3 = await makeTrainee(db, w.org.id, w.cohort.id)
    const hidden = await client(app, w.keys.coordinator).post('/v1/accounts', { body: { role: 'trainee', name: 'T3', traineeId: trainee3.id, email: 'far@example.org' } })
    isProblem(t, hidden, 409, 'conflict', ['/email'], 'an email held outside the coordinator\'s scope')
    t.equal(hidden.json().code, 'email-taken')
    t.notOk('existingId' in hidden.json() || 'existingUrl' in hidden.json(), 'says it is taken without naming whose')
    t.notOk(hidden.body.includes(far.json().id), 'the account id appears nowhere')
  })

  await t.test('a second account for a person names the account they have', async (t) => {
    const trainee = await makeTrainee(db, w.org.id, w.cohort.id)
    const first = await makeAccount(db, 'trainee', { traineeId: trainee.id })
    const second = await admin.post('/v1/accounts', { body: { role: 'trainee', name: 'Again', traineeId: trainee.id } })
    isProblem(t, second, 409, 'conflict')
    t.match(second.json(), { code: 'person-has-account', accountId: first.account.id, existingId: first.account.id, existingUrl: `/v1/accounts/${first.account.id}` })
  })
})
