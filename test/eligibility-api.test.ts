import t from 'tap'
import { sql } from 'drizzle-orm'
import { buildTestApp, client } from './helpers/app.ts'
import { seedObservation } from './helpers/cohort-report.ts'
import { makeAccount, makeCohort, makeTrainee, makeWorld } from './helpers/factories.ts'
import { auditActions } from './helpers/observations.ts'
import { isProblem } from './helpers/structure.ts'

const RULES = {
  rules: [
    { kind: 'minObservations', count: 2 },
    { kind: 'minSupervisors', count: 2 },
    { kind: 'criterionFloor', latest: 2, minLevel: 2 }
  ]
}

t.test('eligibility rules and eligibility through the API', async (t) => {
  const { app, db, adminKey } = await buildTestApp(t)
  const w = await makeWorld(db)
  const admin = client(app, adminKey)
  const coordinator = client(app, w.keys.coordinator)
  const rulesUrl = `/v1/programs/${w.program.id}/eligibility-rules`
  const base = { programId: w.program.id, rubricVersionId: w.rubricVersion.id }
  const levels = { 'eye-contact': 3, 'body-language': 3, paraphrasing: 3, 'non-verbal': 3 }

  await t.test('a program without rules of its own has none (its rubric ships none) and nobody is eligible', async (t) => {
    const res = await coordinator.get(rulesUrl)
    t.equal(res.statusCode, 200)
    t.same(res.json(), { programId: w.program.id, version: 0, source: 'rubric', createdAt: null, rules: [] })
    const e = await coordinator.get(`/v1/trainees/${w.trainee.id}/eligibility`)
    t.equal(e.json().eligible, false)
    t.match(e.json().message, /no eligibility rules yet/)
  })

  await t.test('rules are set with If-Match, validated against the rubric, versioned and audited', async (t) => {
    isProblem(t, await coordinator.put(rulesUrl, { body: RULES }), 428, 'precondition-required')
    const etag = String((await coordinator.get(rulesUrl)).headers.etag)
    const bad = await coordinator.put(rulesUrl, { headers: { 'if-match': etag }, body: { rules: [{ kind: 'criterionFloor', latest: 2, minLevel: 9 }, { kind: 'allAcknowledged' }, { kind: 'allAcknowledged' }] } })
    isProblem(t, bad, 400, 'validation', ['/rules/0/minLevel', '/rules/2/kind'])
    isProblem(t, await coordinator.put(rulesUrl, { headers: { 'if-match': etag }, body: { rules: [{ kind: 'minObservations' }] } }), 400, 'validation', ['/rules/0/count'])
    const unknown = await coordinator.put(rulesUrl, { headers: { 'if-match': etag }, body: { rules: [{ kind: 'teleport', count: 1 }] } })
    isProblem(t, unknown, 400, 'validation', ['/rules/0/kind'])
    t.match(unknown.json().errors[0].detail, /^must be one of: minObservations, minSupervisors, minModality, .*allAcknowledged$/, 'an unknown kind names the kinds there are')
    const ok = await coordinator.put(rulesUrl, { headers: { 'if-match': etag }, body: RULES })
    t.equal(ok.statusCode, 200, ok.body)
    t.equal(ok.json().version, 1)
    t.equal(ok.json().source, 'api')
    isProblem(t, await coordinator.put(rulesUrl, { headers: { 'if-match': etag }, body: RULES }), 412, 'precondition-failed', undefined, 'a stale ETag')
    const versions = (await coordinator.get(`${rulesUrl}/versions`)).json().items
    t.same(versions.map((v: { version: number }) => v.version), [1])
    t.ok((await auditActions(db, w.program.id)).includes('eligibility_rules.update'), 'audited')
    isProblem(t, await client(app, w.keys.otherCoordinator).put(rulesUrl, { headers: { 'if-match': String(ok.headers.etag) }, body: RULES }), 404, 'not-found')
    isProblem(t, await client(app, w.keys.supervisor).put(rulesUrl, { headers: { 'if-match': String(ok.headers.etag) }, body: RULES }), 403, 'forbidden')
  })

  await t.test('a trainee\'s eligibility explains every rule', async (t) => {
    await seedObservation(db, { ...base, traineeId: w.trainee.id, supervisorId: w.supervisor.id, sessionDate: '2025-01-10', levels })
    const res = await coordinator.get(`/v1/trainees/${w.trainee.id}/eligibility`, { query: { asOf: '2025-06-30' } })
    t.equal(res.statusCode, 200, res.body)
    const body = res.json()
    t.same([body.eligible, body.status, body.unmet, body.ruleSetVersion, body.asOf], [false, 'not_eligible', 2, 1, '2025-06-30'])
    t.equal(body.message, 'Not eligible: 2 of 3 rules are not met.')
    t.same(body.rules.map((r: { kind: string; required: number; actual: number; met: boolean }) => [r.kind, r.required, r.actual, r.met]),
      [['minObservations', 2, 1, false], ['minSupervisors', 2, 1, false], ['criterionFloor', 2, 3, true]])
    t.equal(body.rules[1].missing, 'Needs 1 more observation by a second supervisor.')
    t.equal(body.rules[0].observations.length, 1, 'the observation that counted')
    for (const key of ['supervisor', 'trainee', 'integrator'] as const) t.equal((await client(app, w.keys[key]).get(`/v1/trainees/${w.trainee.id}/eligibility`)).statusCode, 200, `${key} may read it`)
    for (const key of ['otherSupervisor', 'otherTrainee', 'otherCoordinator'] as const) isProblem(t, await client(app, w.keys[key]).get(`/v1/trainees/${w.trainee.id}/eligibility`), 404, 'not-found', undefined, key)
  })

  await t.test('the program list: statuses, counts, filters and pages, in one statement per page', async (t) => {
    // trainee: 2 observations by 2 supervisors → eligible; otherTrainee: 1 → two rules unmet; 3 more: one each short of one rule → close.
    const second = (await db.execute(sql`select id from supervisors where id <> ${w.supervisor.id} limit 1`) as unknown as { rows: Array<{ id: string }> }).rows[0]!.id
    await seedObservation(db, { ...base, traineeId: w.trainee.id, supervisorId: second, sessionDate: '2025-02-10', levels })
    await seedObservation(db, { ...base, traineeId: w.otherTrainee.id, supervisorId: second, sessionDate: '2025-02-10', levels })
    for (const name of ['Close A', 'Close B', 'Close C']) {
      const trainee = await makeTrainee(db, w.org.id, w.cohort.id, { name })
      for (const date of ['2025-03-01', '2025-03-02']) await seedObservation(db, { ...base, traineeId: trainee.id, supervisorId: w.supervisor.id, sessionDate: date, levels })
    }
    const elsewhere = await makeCohort(db, w.program.id)
    await makeTrainee(db, w.org.id, elsewhere.id, { name: 'Other Cohort' })
    const url = `/v1/programs/${w.program.id}/eligibility`
    const all = (await coordinator.get(url, { query: { asOf: '2025-06-30' } })).json()
    t.same(all.summary, { trainees: 6, eligible: 1, close: 3, notEligible: 5 })
    t.same(all.rules.map((r: { kind: string }) => r.kind), ['minObservations', 'minSupervisors', 'criterionFloor'])
    const mine = all.items.find((i: { traineeId: string }) => i.traineeId === w.trainee.id)
    t.same([mine.status, mine.unmet, mine.actual], ['eligible', 0, [2, 2, 3]])
    const closeOnes = (await coordinator.get(url, { query: { asOf: '2025-06-30', status: 'close' } })).json()
    t.same(closeOnes.items.map((i: { name: string }) => i.name), ['Close A', 'Close B', 'Close C'], 'close: exactly one rule missing, in name order')
    t.same(closeOnes.items[0].unmetRules, [1], 'the supervisors rule')
    const pages = []
    let cursor: string | undefined
    do {
      const page = (await coordinator.get(url, { query: { asOf: '2025-06-30', limit: '2', ...(cursor ? { cursor } : {}) } })).json()
      pages.push(page.items.map((i: { name: string }) => i.name))
      cursor = page.nextCursor ?? undefined
    } while (cursor)
    t.same(pages.flat(), all.items.map((i: { name: string }) => i.name), 'pages of two add up to the whole list, no repeats')
    t.equal(pages.length, 3)
    const cohort = (await coordinator.get(`/v1/cohorts/${elsewhere.id}/eligibility`)).json()
    t.same(cohort.items.map((i: { name: string }) => i.name), ['Other Cohort'])
    isProblem(t, await coordinator.get(url, { query: { cohortId: (await makeCohort(db, w.otherProgram.id)).id } }), 404, 'not-found', undefined, 'a cohort of another program')
    isProblem(t, await coordinator.get(url, { query: { cursor: 'garbage' } }), 400, 'validation', ['/query/cursor'])
    isProblem(t, await client(app, w.keys.supervisor).get(url), 403, 'forbidden')
    isProblem(t, await client(app, w.keys.otherCoordinator).get(url), 404, 'not-found')
    t.equal((await admin.get(url)).statusCode, 200)
  })

  await t.test('a coordinator with no program sees none', async (t) => {
    const lonely = client(app, (await makeAccount(db, 'coordinator', { programIds: [] })).key)
    isProblem(t, await lonely.get(rulesUrl), 404, 'not-found')
  })
})
