import t from 'tap'
import { sql } from 'drizzle-orm'
import { createLocalJWKSet, jwtVerify } from 'jose'
import { buildTestApp, client } from './helpers/app.ts'
import { seedObservation } from './helpers/cohort-report.ts'
import { makeSupervisor, makeWorld } from './helpers/factories.ts'
import { ifMatch } from './helpers/observations.ts'
import { parsePdf } from './helpers/pdf.ts'
import { isProblem } from './helpers/structure.ts'

t.test('issuing, verifying and revoking certificates', async (t) => {
  const { app, db } = await buildTestApp(t, { PUBLIC_BASE_URL: 'https://rapport.example.org' })
  const w = await makeWorld(db)
  await db.execute(sql`update trainees set name = 'Zoë Ñúñez', email = 'zoe@example.org' where id = ${w.trainee.id}`)
  const coordinator = client(app, w.keys.coordinator)
  const rulesUrl = `/v1/programs/${w.program.id}/eligibility-rules`
  const etag = String((await coordinator.get(rulesUrl)).headers.etag)
  const set = await coordinator.put(rulesUrl, { headers: { 'if-match': etag }, body: { rules: [{ kind: 'minObservations', count: 2 }, { kind: 'minSupervisors', count: 2 }] } })
  t.equal(set.statusCode, 200, set.body)
  const base = { programId: w.program.id, rubricVersionId: w.rubricVersion.id }
  const levels = { 'eye-contact': 3, 'body-language': 3, paraphrasing: 3, 'non-verbal': 3 }
  const first = await seedObservation(db, { ...base, traineeId: w.trainee.id, supervisorId: w.supervisor.id, sessionDate: '2025-01-10', levels })
  const issue = () => coordinator.post('/v1/certificates', { body: { traineeId: w.trainee.id } })

  await t.test('a trainee who is not eligible is refused, with the unmet rules', async (t) => {
    const res = await issue()
    isProblem(t, res, 409, 'conflict')
    t.same(res.json().unmet.map((u: { kind: string }) => u.kind), ['minObservations', 'minSupervisors'])
    t.equal(res.json().unmet[1].missing, 'Needs 1 more observation by a second supervisor.')
    t.equal((await db.execute(sql`select count(*)::int as n from certificates`) as unknown as { rows: Array<{ n: number }> }).rows[0]!.n, 0, 'nothing written')
  })

  const second = await makeSupervisor(db, w.org.id)
  const later = await seedObservation(db, { ...base, traineeId: w.trainee.id, supervisorId: second.id, sessionDate: '2025-02-10', levels })
  let certificate: { id: string; serial: string; verificationUrl: string; evidence: { observations: Array<{ id: string }>; ruleSetVersion: number } }

  await t.test('an eligible trainee gets one, with the evidence; issuing twice returns it', async (t) => {
    const res = await issue()
    t.equal(res.statusCode, 201, res.body)
    certificate = res.json()
    t.match(certificate.serial, /^RC-\d{4}-\d{6}$/)
    t.match(certificate.verificationUrl, /^https:\/\/rapport\.example\.org\/verify\/[A-Za-z0-9_-]{27}$/)
    t.same(certificate.evidence.observations.map((o) => o.id).sort(), [first.id, later.id].sort(), 'the observations that satisfied the rules')
    t.equal(certificate.evidence.ruleSetVersion, 1)
    const again = await issue()
    t.equal(again.statusCode, 200)
    t.equal(again.json().id, certificate.id, 'the same certificate')
  })

  await t.test('the credential verifies with the published keys, the standard JOSE way, and not once altered', async (t) => {
    const jwt = (await coordinator.get(`/v1/certificates/${certificate.id}/credential`)).body
    const jwks = (await app.inject({ url: '/.well-known/jwks.json' })).json()
    const { payload, protectedHeader } = await jwtVerify(jwt, createLocalJWKSet(jwks))
    t.equal(protectedHeader.alg, 'EdDSA')
    t.same(payload.type, ['VerifiableCredential', 'OpenBadgeCredential'])
    t.match(JSON.stringify(payload), certificate.serial)
    const [h, p, s] = jwt.split('.')
    const flipped = Buffer.from(p!, 'base64url')
    flipped[10] = flipped[10]! ^ 1
    await t.rejects(jwtVerify(`${h}.${flipped.toString('base64url')}.${s}`, createLocalJWKSet(jwks)), 'a changed byte fails verification')
  })

  const code = () => certificate.verificationUrl.split('/').pop()!

  await t.test('anyone can verify it, learning only name, program, date and serial', async (t) => {
    const json = await app.inject({ url: `/verify/${code()}`, headers: { accept: 'application/json' } })
    t.equal(json.statusCode, 200)
    t.same(Object.keys(json.json().certificate).sort(), ['issuedOn', 'programName', 'serial', 'traineeName'])
    t.equal(json.json().status, 'valid')
    const html = await app.inject({ url: `/verify/${code()}` })
    t.match(html.headers['content-type'], /text\/html/)
    t.ok(html.body.includes('Zoë Ñúñez') && html.body.includes(certificate.serial))
    t.notOk(/zoe@example\.org|[0-9a-f]{8}-[0-9a-f]{4}-/.test(html.body + json.body), 'no email, no internal ids')
    const unknown = await app.inject({ url: '/verify/AAAAAAAAAAAAAAAAAAAAAAAAAAA', headers: { accept: 'application/json' } })
    t.same([unknown.statusCode, unknown.json()], [404, { status: 'unknown' }])
  })

  await t.test('the PDF certificate', async (t) => {
    const res = await coordinator.get(`/v1/certificates/${certificate.id}/certificate.pdf`)
    t.equal(res.statusCode, 200)
    const pdf = await parsePdf(res.rawPayload)
    t.ok(pdf.text.includes('Zoë Ñúñez') && pdf.text.includes(certificate.serial) && pdf.text.includes(certificate.verificationUrl))
  })

  await t.test('revoked with a reason: verifies as revoked; a new one may be issued', async (t) => {
    const current = await coordinator.get(`/v1/certificates/${certificate.id}`)
    isProblem(t, await coordinator.post(`/v1/certificates/${certificate.id}/revoke`, { body: { reason: 'Issued in error' } }), 428, 'precondition-required')
    const res = await coordinator.post(`/v1/certificates/${certificate.id}/revoke`, { headers: ifMatch(current), body: { reason: 'Issued in error' } })
    t.equal(res.statusCode, 200, res.body)
    t.equal(res.json().status, 'revoked')
    const json = (await app.inject({ url: `/verify/${code()}?format=json` })).json()
    t.equal(json.status, 'revoked')
    t.match(json.certificate.revokedOn, /^\d{4}-\d{2}-\d{2}$/)
    t.notOk(JSON.stringify(json).includes('Issued in error'), 'the reason stays private')
    isProblem(t, await coordinator.get(`/v1/certificates/${certificate.id}/certificate.pdf`), 409, 'conflict')
    isProblem(t, await coordinator.post(`/v1/certificates/${certificate.id}/revoke`, { headers: ifMatch(res), body: { reason: 'again' } }), 409, 'conflict')
    const reissued = await issue()
    t.equal(reissued.statusCode, 201)
    t.not(reissued.json().id, certificate.id)
    t.not(reissued.json().serial, certificate.serial)
  })

  await t.test('who may see and do what', async (t) => {
    const url = `/v1/certificates/${certificate.id}`
    for (const key of ['trainee', 'supervisor', 'integrator'] as const) t.equal((await client(app, w.keys[key]).get(url)).statusCode, 200, `${key} reads it`)
    for (const key of ['otherTrainee', 'otherSupervisor', 'otherCoordinator', 'otherIntegrator'] as const) isProblem(t, await client(app, w.keys[key]).get(url), 404, 'not-found', undefined, key)
    isProblem(t, await client(app, w.keys.supervisor).post('/v1/certificates', { body: { traineeId: w.trainee.id } }), 403, 'forbidden')
    isProblem(t, await client(app, w.keys.otherCoordinator).post('/v1/certificates', { body: { traineeId: w.trainee.id } }), 404, 'not-found')
    const list = (await client(app, w.keys.trainee).get('/v1/certificates')).json()
    t.equal(list.items.length, 2, 'the trainee lists both, revoked and valid')
    t.equal((await client(app, w.keys.otherTrainee).get('/v1/certificates')).json().items.length, 0)
  })

  await t.test('the database keeps certificates: no delete, no edit but revocation', async (t) => {
    const cause = async (query: Promise<unknown>) => {
      try {
        await query
      } catch (err) {
        return String((err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message)
      }
      return 'accepted'
    }
    t.match(await cause(db.execute(sql`delete from certificates`)), /cannot be deleted; revoke it/)
    t.match(await cause(db.execute(sql`update certificates set trainee_name = 'X' where revoked_at is null`)), /can only be revoked/)
    t.match(await cause(db.execute(sql`update certificates set revocation_reason = 'changed' where revoked_at is not null`)), /is revoked and cannot change/)
    t.match(await cause(db.execute(sql`update eligibility_rule_sets set version = 9`)), /append-only/)
    t.match(await cause(db.execute(sql`truncate certificates`)), /append-only/)
  })
})
