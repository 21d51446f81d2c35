import t from 'tap'
import type { Rule } from '../src/modules/eligibility/eligibility-schemas.ts'
import { listEvaluated, traineeObservations } from '../src/modules/eligibility/eligibility-repository.ts'
import { evaluateRules } from '../src/modules/eligibility/evaluate.ts'
import { eligibilityAreas } from '../src/modules/eligibility/eligibility-service.ts'
import { buildTestApp } from './helpers/app.ts'
import { AREAS } from './helpers/eligibility.ts'
import { makeCohort, makeOrganization, makeProgram, makeRubricVersion, makeSupervisor, makeTrainee } from './helpers/factories.ts'
import { insertObservation } from './helpers/observations.ts'
import { testRubric } from './fixtures/rubric.ts'

/**
 * The set-based SQL and the rule-by-rule code must agree on every trainee: a seeded cohort with
 * varied histories is evaluated both ways, for every rule kind at once.
 */
const RULES: Rule[] = [
  { kind: 'window', months: 12 },
  { kind: 'minObservations', count: 4 },
  { kind: 'minSupervisors', count: 2 },
  { kind: 'minModality', modality: 'in_person', count: 2 },
  { kind: 'minSettings', count: 2 },
  { kind: 'minMinutes', minutes: 200 },
  { kind: 'areaMeans', latest: 3, minLevel: 2.5 },
  { kind: 'criterionFloor', latest: 2, minLevel: 2 },
  { kind: 'everyCriterionObserved', times: 2 },
  { kind: 'allAcknowledged' }
]

t.test('SQL and the rule code agree for every trainee and rule', async (t) => {
  const { db, database } = await buildTestApp(t)
  // A rubric shaped like AREAS (two areas, weighted), so both sides score alike.
  const definition = structuredClone(testRubric)
  definition.areas = AREAS.map((a) => ({
    key: a.key, title: a.title, weight: a.weight,
    criteria: a.criteria.map((c) => ({ key: c.key, title: c.title, weight: c.weight, allowNotObserved: true, levels: testRubric.areas[0]!.criteria[0]!.levels }))
  }))
  const { version } = await makeRubricVersion(db, definition)
  const program = await makeProgram(db, version.id)
  const cohort = await makeCohort(db, program.id)
  const org = await makeOrganization(db)
  const supervisors = [await makeSupervisor(db, org.id), await makeSupervisor(db, org.id)]
  const trainees = []
  for (let i = 0; i < 40; i++) trainees.push(await makeTrainee(db, org.id, cohort.id, { name: `Trainee ${String(i).padStart(2, '0')}` }))
  // Deterministic variety: counts 0..7, dates over 18 months, modalities, settings, levels 1..4 and "not observed", some unacknowledged.
  let x = 7
  const rand = (n: number) => { x = (x * 1103515245 + 12345) % 2147483648; return x % n }
  // Strong histories for the last four trainees (the last one with one session left unacknowledged): eligible, and close.
  const strong = (traineeId: string, k: number, acknowledged: boolean) => insertObservation(db, {
    traineeId, supervisorId: supervisors[k % 2]!.id, programId: program.id, rubricVersionId: version.id,
    status: acknowledged ? 'acknowledged' : 'submitted', sessionDate: `2025-0${1 + k}-10`, durationMinutes: 60,
    setting: k % 2 === 0 ? 'Clinic' : 'Home visit', modality: 'in_person',
    scores: AREAS.flatMap((a) => a.criteria.map((c) => ({ areaKey: a.key, criterionKey: c.key, level: 3 + (k % 2) })))
  })
  for (const [i, trainee] of trainees.entries()) {
    if (i >= 36) {
      for (let k = 0; k < 5; k++) await strong(trainee.id, k, !(i === 39 && k === 2))
      continue
    }
    for (let k = 0; k < i % 8; k++) {
      const day = `2024-${String(1 + rand(12)).padStart(2, '0')}-${String(1 + rand(28)).padStart(2, '0')}`
      const date = rand(3) === 0 ? day : day.replace('2024', '2025').replace(/-(0[7-9]|1[0-2])-/, '-05-')
      const scores = AREAS.flatMap((a) => a.criteria.map((c) => ({ areaKey: a.key, criterionKey: c.key, level: rand(6) === 0 ? null : 1 + rand(4) })))
      // Drawn in this order: supervisor, status, minutes, setting, modality.
      await insertObservation(db, {
        traineeId: trainee.id, supervisorId: supervisors[rand(2)]!.id, programId: program.id, rubricVersionId: version.id,
        status: rand(4) === 0 ? 'submitted' : 'acknowledged', sessionDate: date, durationMinutes: 20 + rand(60),
        setting: ['Clinic', 'Home visit', ' Clinic '][rand(3)]!, modality: (['in_person', 'video'] as const)[rand(2)]!, scores
      })
    }
  }
  const asOf = '2025-06-30'
  const page = await listEvaluated(database.db, RULES, AREAS, { programId: program.id, asOf }, { limit: 1000 })
  t.equal(page.rows.length, 40)
  let eligible = 0
  for (const row of page.rows) {
    const results = evaluateRules(RULES, { areas: AREAS, asOf }, await traineeObservations(database.db, row.trainee_id, program.id))
    t.same(row.actuals, results.map((r) => r.actual), `${row.name}: the same actual value for every rule`)
    t.same(row.unmet_rules, results.flatMap((r, i) => (r.met ? [] : [i])), `${row.name}: the same rules unmet`)
    if (results.every((r) => r.met)) eligible += 1
  }
  t.equal(page.summary.eligible, eligible, 'the same number eligible')
  t.equal(page.summary.eligible, 3, 'three strong histories are eligible')
  t.equal(page.summary.close, 1, 'and the one with an unacknowledged session is close')
  t.ok(new Set(page.rows.flatMap((r) => r.unmet_rules)).size >= 6, 'most rules are unmet for someone')
})

t.test('a rubric of more criteria than the summary bitmask holds is counted from the scored criteria, alike', async (t) => {
  const { db, database } = await buildTestApp(t)
  // 2 areas × 35 criteria: past the 63 the bitmask covers, so "every criterion observed" reads the arrays.
  const definition = structuredClone(testRubric)
  const levels = testRubric.areas[0]!.criteria[0]!.levels
  definition.areas = ['calm', 'attune'].map((area) => ({
    key: area, title: `Area ${area}`,
    criteria: Array.from({ length: 35 }, (_, c) => ({ key: `${area}-${c}`, title: `Criterion ${area} ${c}`, allowNotObserved: true, levels }))
  }))
  const areas = eligibilityAreas(definition)
  const keys = areas.flatMap((a) => a.criteria.map((c) => c.key))
  const rules: Rule[] = [{ kind: 'everyCriterionObserved', times: 2 }, { kind: 'areaMeans', latest: 2, minLevel: 2.5 }, { kind: 'minObservations', count: 2 }]
  const { version } = await makeRubricVersion(db, definition)
  const program = await makeProgram(db, version.id)
  const cohort = await makeCohort(db, program.id)
  const org = await makeOrganization(db)
  const supervisor = await makeSupervisor(db, org.id)
  // Each history lists, per observation, the criteria (by position) left "not observed"; most lie
  // past the 63rd, so whether a criterion is seen twice depends on what the bitmask cannot hold.
  const histories: Array<Array<Set<number>>> = [
    [new Set(), new Set()], // everything scored twice: met
    [new Set([66]), new Set()], // criterion 67 scored once: unmet
    [new Set([2]), new Set([69]), new Set()], // two criteria each left out once of three: met
    [new Set([69]), new Set([69])] // the last criterion never scored: unmet
  ]
  for (const [i, history] of histories.entries()) {
    const trainee = await makeTrainee(db, org.id, cohort.id, { name: `Trainee ${i}` })
    for (const [k, missing] of history.entries()) {
      await insertObservation(db, {
        traineeId: trainee.id, supervisorId: supervisor.id, programId: program.id, rubricVersionId: version.id,
        status: 'acknowledged', sessionDate: `2025-0${k + 1}-15`, durationMinutes: 45,
        scores: keys.map((key, c) => ({ areaKey: key.split('-')[0]!, criterionKey: key, level: missing.has(c) ? null : 2 + ((c + k + i) % 3) }))
      })
    }
  }
  const asOf = '2025-06-30'
  const page = await listEvaluated(database.db, rules, areas, { programId: program.id, asOf }, { limit: 10 })
  t.equal(page.rows.length, histories.length)
  for (const row of page.rows) {
    const results = evaluateRules(rules, { areas, asOf }, await traineeObservations(database.db, row.trainee_id, program.id))
    t.same(row.actuals, results.map((r) => r.actual), `${row.name}: the same actual value for every rule`)
    t.same(row.unmet_rules, results.flatMap((r, i) => (r.met ? [] : [i])), `${row.name}: the same rules unmet`)
  }
  t.same(page.rows.map((r) => r.actuals[0]), [2, 1, 2, 0], 'the least scored criterion, counted past the 63rd')
})
