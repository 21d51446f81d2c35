import t from 'tap'
import { buildTestApp, client } from './helpers/app.ts'
import { seedObservation } from './helpers/cohort-report.ts'
import { makeWorld } from './helpers/factories.ts'
import { ifMatch } from './helpers/observations.ts'
import { isProblem } from './helpers/structure.ts'

// What a revoked certificate still gives out: its record to those who may read it, the reason for
// revoking only to those who may revoke (admins, the program's coordinators), its credential to nobody.
t.test('a revoked certificate: credential withdrawn, reason only for its issuers', async (t) => {
  const { app, db, adminKey } = await buildTestApp(t)
  const w = await makeWorld(db)
  const coordinator = client(app, w.keys.coordinator)
  const rulesUrl = `/v1/programs/${w.program.id}/eligibility-rules`
  const rules = await coordinator.put(rulesUrl, {
    headers: { 'if-match': String((await coordinator.get(rulesUrl)).headers.etag) }, body: { rules: [{ kind: 'minObservations', count: 1 }] }
  })
  t.equal(rules.statusCode, 200, `eligibility rules set (${rules.body.slice(0, 200)})`)
  await seedObservation(db, {
    programId: w.program.id, rubricVersionId: w.rubricVersion.id, traineeId: w.trainee.id, supervisorId: w.supervisor.id,
    sessionDate: '2025-01-10', levels: { 'eye-contact': 3, 'body-language': 3, paraphrasing: 3, 'non-verbal': 3 }
  })
  const issue = async () => {
    const res = await coordinator.post('/v1/certificates', { body: { traineeId: w.trainee.id } })
    t.equal(res.statusCode, 201, `issued (${res.body.slice(0, 200)})`)
    return res
  }
  const issued = await issue()
  const revokedId = issued.json().id as string
  const reason = 'Issued in error: the second supervisor was not accredited'
  const revoked = await client(app, adminKey).post(`/v1/certificates/${revokedId}/revoke`, { headers: ifMatch(issued), body: { reason } })
  t.equal(revoked.statusCode, 200, `revoked (${revoked.body.slice(0, 200)})`)
  t.equal(revoked.json().revocationReason, reason, 'the admin who revoked it reads the reason back')
  const validId = (await issue()).json().id as string

  const readers = { admin: adminKey, coordinator: w.keys.coordinator, supervisor: w.keys.supervisor, trainee: w.keys.trainee, integrator: w.keys.integrator }
  const issuers = new Set(['admin', 'coordinator'])

  await t.test('the credential of a revoked certificate answers 410 credential-revoked, to every role; a valid one is served', async (t) => {
    for (const [role, key] of Object.entries(readers)) {
      const gone = await client(app, key).get(`/v1/certificates/${revokedId}/credential`)
      isProblem(t, gone, 410, 'gone', undefined, role)
      t.equal(gone.json().code, 'credential-revoked', `${role}: the code names the cause`)
      t.notOk(gone.body.includes('eyJ'), `${role}: no part of the signed credential is sent`)
      const served = await client(app, key).get(`/v1/certificates/${validId}/credential`)
      t.equal(served.statusCode, 200, `${role}: the valid certificate's credential is served`)
      t.match(served.body, /^eyJ[\w-]*\.[\w-]+\.[\w-]+$/, `${role}: a compact JWS`)
    }
  })

  await t.test('revocationReason: present for admins and the program\'s coordinators, absent (not null) for everyone else', async (t) => {
    for (const [role, key] of Object.entries(readers)) {
      const as = client(app, key)
      const single = await as.get(`/v1/certificates/${revokedId}`)
      const valid = await as.get(`/v1/certificates/${validId}`)
      const list = await as.get('/v1/certificates')
      t.equal(single.statusCode, 200, `${role} reads the revoked certificate`)
      t.equal(single.json().status, 'revoked', `${role} sees that it is revoked`)
      const listed = (list.json().items as Array<Record<string, unknown>>)
      t.same(listed.map((c) => c.id).sort(), [revokedId, validId].sort(), `${role} lists both certificates`)
      const inList = listed.find((c) => c.id === revokedId)!
      const validInList = listed.find((c) => c.id === validId)!
      if (issuers.has(role)) {
        t.equal(single.json().revocationReason, reason, `${role}: the reason, in a single read`)
        t.equal(inList.revocationReason, reason, `${role}: the reason, in the list`)
        t.equal(valid.json().revocationReason, null, `${role}: null for a certificate in force`)
        t.equal(validInList.revocationReason, null, `${role}: null in the list for a certificate in force`)
      } else {
        t.notOk('revocationReason' in single.json(), `${role}: no revocationReason member in a single read`)
        t.notOk('revocationReason' in inList, `${role}: no revocationReason member in the list`)
        t.notOk('revocationReason' in valid.json() || 'revocationReason' in validInList, `${role}: none for a certificate in force either`)
        t.notOk((single.body + list.body).includes('accredited'), `${role}: the reason appears nowhere`)
      }
    }
  })
})
