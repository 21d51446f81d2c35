import t from 'tap'
import { eq } from 'drizzle-orm'
import { accounts, webSessions } from '../src/db/schema/index.ts'
import { buildTestApp, client } from './helpers/app.ts'
import { assign, makeSupervisor, makeTrainee, makeWorld } from './helpers/factories.ts'
import { auditTrail, isProblem } from './helpers/structure.ts'
import { signedIn } from './helpers/web.ts'

/**
 * Deactivating a trainee or supervisor record ends the person's access at once: their API key and
 * their web session stop in the same request, and reactivating the person does not bring them back
 * until an admin or the programme's coordinator reactivates the account.
 */
t.test('deactivating a person deactivates their account', async (t) => {
  const { app, db, adminKey } = await buildTestApp(t)
  const w = await makeWorld(db)
  const admin = client(app, adminKey)
  const coordinator = client(app, w.keys.coordinator)

  for (const kind of ['supervisor', 'trainee'] as const) {
    await t.test(`a ${kind}: key and web session stop at once`, async (t) => {
      const personId = kind === 'supervisor' ? (await makeSupervisor(db, w.org.id)).id : (await makeTrainee(db, w.org.id, w.cohort.id)).id
      if (kind === 'supervisor') await assign(db, personId, w.trainee.id)
      const email = `${kind}-person@example.org`
      const b = await signedIn(app, admin, { role: kind, name: `The ${kind}`, email, [`${kind}Id`]: personId })
      const [{ id: accountId }] = await db.select({ id: accounts.id }).from(accounts).where(eq(accounts.email, email)) as [{ id: string }]
      const key = (await admin.post(`/v1/accounts/${accountId}/api-keys`, { body: { name: 'k' } })).json().key as string
      const own = kind === 'supervisor' ? `/v1/supervisors/${personId}` : `/v1/trainees/${personId}`
      const home = kind === 'supervisor' ? '/my/trainees' : '/my/observations'
      t.equal((await client(app, key).get(own)).statusCode, 200, 'the key works before')
      t.equal((await b.get(home)).statusCode, 200, 'the web session works before')

      const done = await admin.post(`/v1/${kind}s/${personId}/deactivate`)
      t.equal(done.statusCode, 200)
      t.equal((await client(app, key).get(own)).statusCode, 401, 'the key stops at once')
      const page = await b.get(home)
      t.not(page.statusCode, 200, 'the web session stops at once')
      t.same(await db.select().from(webSessions).where(eq(webSessions.accountId, accountId)), [], 'its sessions are deleted')
      const account = await admin.get(`/v1/accounts/${accountId}`)
      t.equal(account.json().active, false, 'the account is deactivated')
      const [event] = (await auditTrail(db, 'account', accountId)).filter((e) => e.action === 'account.deactivate')
      t.match(event?.changes, { active: { from: true, to: false }, cause: { action: `${kind}.deactivate`, objectId: personId } }, 'audited, with its cause')

      isProblem(t, await admin.post(`/v1/accounts/${accountId}/reactivate`), 409, 'conflict', undefined, 'not while the person is deactivated')
      t.equal((await admin.post(`/v1/${kind}s/${personId}/reactivate`)).statusCode, 200)
      t.equal((await admin.get(`/v1/accounts/${accountId}`)).json().active, false, 'reactivating the person leaves the account inactive')
      t.equal((await client(app, key).get(own)).statusCode, 401, 'and the key still stopped')

      isProblem(t, await client(app, w.keys.otherCoordinator).post(`/v1/accounts/${accountId}/reactivate`), 404, 'not-found',
        undefined, 'a coordinator of another programme does not reach the account')
      const back = await coordinator.post(`/v1/accounts/${accountId}/reactivate`)
      t.equal(back.statusCode, 200, 'the programme\'s coordinator reactivates it')
      t.equal(back.json().active, true)
      t.equal((await client(app, key).get(own)).statusCode, 200, 'the key works again')
    })
  }

  await t.test('a deactivation by the integrator of the organization cascades too', async (t) => {
    const key = w.keys.supervisor
    const me = (await client(app, key).get('/v1/me')).json()
    t.equal((await client(app, w.keys.integrator).post(`/v1/supervisors/${w.supervisor.id}/deactivate`)).statusCode, 200)
    t.equal((await client(app, key).get('/v1/me')).statusCode, 401)
    t.equal((await admin.get(`/v1/accounts/${me.account.id}`)).json().active, false)
    const gone = await makeSupervisor(db, w.org.id)
    await admin.post(`/v1/supervisors/${gone.id}/deactivate`)
    const refused = await admin.post('/v1/accounts', { body: { role: 'supervisor', name: 'Late', supervisorId: gone.id } })
    isProblem(t, refused, 409, 'conflict', undefined, 'a deactivated person gets no new account either')
    t.equal(refused.json().code, 'person-deactivated')
  })
})
