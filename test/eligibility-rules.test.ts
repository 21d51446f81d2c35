import t from 'tap'
import type { Rule } from '../src/modules/eligibility/eligibility-schemas.ts'
import { evaluateRules, monthsBefore } from '../src/modules/eligibility/evaluate.ts'
import { AREAS, obs } from './helpers/eligibility.ts'

/** Every rule kind at its boundary: one short of it (unmet, with the sentence a coordinator reads) and exactly at it (met). */
const ctx = { areas: AREAS, asOf: '2025-06-30' }
const one = (rule: Rule, list: ReturnType<typeof obs>[]) => evaluateRules([rule], ctx, list)[0]!

t.test('minObservations', async (t) => {
  const rule: Rule = { kind: 'minObservations', count: 3 }
  const short = one(rule, [obs('2025-01-01'), obs('2025-02-01')])
  t.same([short.required, short.actual, short.met], [3, 2, false])
  t.equal(short.missing, 'Needs 1 more observation (has 2 of 3).')
  t.equal(short.description, 'At least 3 submitted observations')
  const met = one(rule, [obs('2025-01-01'), obs('2025-02-01'), obs('2025-03-01')])
  t.same([met.actual, met.met, met.missing], [3, true, null])
  t.equal(met.observations.length, 3, 'the observations that counted')
})

t.test('minSupervisors: "a second supervisor"', async (t) => {
  const rule: Rule = { kind: 'minSupervisors', count: 2 }
  const short = one(rule, [obs('2025-01-01'), obs('2025-02-01')])
  t.same([short.actual, short.met], [1, false])
  t.equal(short.missing, 'Needs 1 more observation by a second supervisor.')
  t.equal(one({ kind: 'minSupervisors', count: 3 }, [obs('2025-01-01')]).missing, 'Needs observations by 2 more supervisors (has 1 of 3).')
  t.ok(one(rule, [obs('2025-01-01'), obs('2025-02-01', { supervisorId: 'sup-b' })]).met)
})

t.test('minModality counts only that modality, and lists those observations', async (t) => {
  const rule: Rule = { kind: 'minModality', modality: 'in_person', count: 2 }
  const video = obs('2025-02-01', { modality: 'video' })
  const short = one(rule, [obs('2025-01-01'), video])
  t.same([short.actual, short.met], [1, false])
  t.equal(short.missing, 'Needs 1 more in-person observation (has 1 of 2).')
  t.notOk(short.observations.some((o) => o.id === video.id), 'the video session did not count')
  t.ok(one(rule, [obs('2025-01-01'), obs('2025-03-01'), video]).met)
})

t.test('minSettings: distinct settings as written, surrounding spaces ignored', async (t) => {
  const rule: Rule = { kind: 'minSettings', count: 2 }
  const short = one(rule, [obs('2025-01-01', { setting: 'Clinic' }), obs('2025-02-01', { setting: ' Clinic ' })])
  t.same([short.actual, short.met], [1, false])
  t.equal(short.missing, 'Needs observations in 1 more setting (has 1 of 2).')
  t.ok(one(rule, [obs('2025-01-01', { setting: 'Clinic' }), obs('2025-02-01', { setting: 'Home visit' })]).met)
})

t.test('minMinutes', async (t) => {
  const rule: Rule = { kind: 'minMinutes', minutes: 120 }
  const short = one(rule, [obs('2025-01-01', { durationMinutes: 60 }), obs('2025-02-01', { durationMinutes: 59 })])
  t.same([short.actual, short.met], [119, false])
  t.equal(short.missing, 'Needs 1 more minute of observed practice (has 119 of 120).')
  t.ok(one(rule, [obs('2025-01-01', { durationMinutes: 60 }), obs('2025-02-01', { durationMinutes: 60 })]).met)
})

t.test('areaMeans: every area, over the latest K only, scored as observations are', async (t) => {
  const rule: Rule = { kind: 'areaMeans', latest: 2, minLevel: 3 }
  // Latest two: listening 3 and 2 → 2.50; safety 3 and (eye 4×1 + posture 2×3)/4 = 2.5 → 2.75. The oldest (all 1) is out of the window of 2.
  const list = [obs('2025-01-01', { level: 1 }), obs('2025-02-01', { level: 3 }), obs('2025-03-01', { levels: { eye: 4, posture: 2, para: 2, cues: 2 } })]
  const short = one(rule, list)
  t.same([short.actual, short.met], [2.5, false])
  t.equal(short.missing, 'Below 3 over the latest 2 observations: Safe environment: 2.75; Active listening: 2.50.')
  t.same(short.observations.map((o) => o.sessionDate), ['2025-03-01', '2025-02-01'], 'the latest two counted')
  t.ok(one(rule, [obs('2025-01-01', { level: 1 }), obs('2025-02-01', { level: 3 }), obs('2025-03-01', { level: 3 })]).met, 'exactly 3.00 meets 3')
  const unscored = one(rule, [obs('2025-02-01', { levels: { para: null, cues: null } })])
  t.same([unscored.actual, unscored.met], [null, false], 'an area never scored in the latest K is not met')
  t.match(unscored.missing, /Active listening: not scored/)
})

t.test('criterionFloor', async (t) => {
  const rule: Rule = { kind: 'criterionFloor', latest: 2, minLevel: 2 }
  const short = one(rule, [obs('2025-02-01', { levels: { cues: 1 } }), obs('2025-03-01')])
  t.same([short.actual, short.met], [1, false])
  t.equal(short.missing, 'A criterion was scored 1, below 2, in the latest 2 observations.')
  t.ok(one(rule, [obs('2025-01-01', { levels: { cues: 1 } }), obs('2025-02-01', { level: 2 }), obs('2025-03-01')]).met, 'a low score older than the latest K does not count')
  t.equal(one(rule, []).missing, 'No criterion has been scored in the latest 2 observations yet.')
})

t.test('everyCriterionObserved: "not observed" does not count', async (t) => {
  const rule: Rule = { kind: 'everyCriterionObserved', times: 2 }
  const short = one(rule, [obs('2025-01-01'), obs('2025-02-01', { levels: { cues: null } })])
  t.same([short.actual, short.met], [1, false])
  t.equal(short.missing, 'Needs more scores for: Non-verbal cues (1 of 2).')
  t.ok(one(rule, [obs('2025-01-01'), obs('2025-02-01')]).met)
})

t.test('window: only the last N months count, for every rule', async (t) => {
  const rules: Rule[] = [{ kind: 'window', months: 12 }, { kind: 'minObservations', count: 2 }]
  t.equal(monthsBefore('2025-06-30', 12), '2024-06-30')
  const [window, count] = evaluateRules(rules, ctx, [obs('2024-06-30'), obs('2024-07-01')])
  t.same([window!.met, count!.actual, count!.met], [true, 1, false], 'the session on the boundary day is outside; the next day is inside')
  t.equal(count!.missing, 'Needs 1 more observation (has 1 of 2).')
  const [none] = evaluateRules(rules, ctx, [obs('2024-01-01')])
  t.same([none!.met, none!.missing], [false, 'Needs an observation in the last 12 months.'])
  t.equal(none!.description, 'Only observations of the last 12 months count (after 2024-06-30); at least one is needed')
  t.equal(monthsBefore('2025-03-31', 1), '2025-02-28', 'a day the earlier month lacks becomes its last day')
  t.equal(evaluateRules([{ kind: 'minObservations', count: 1 }], ctx, [obs('2025-07-01')])[0]!.actual, 0, 'sessions after the as-of day do not count')
})

t.test('allAcknowledged', async (t) => {
  const rule: Rule = { kind: 'allAcknowledged' }
  const short = one(rule, [obs('2025-01-01'), obs('2025-02-01', { acknowledged: false })])
  t.same([short.actual, short.met], [1, false])
  t.equal(short.missing, 'The trainee still has to acknowledge 1 observation.')
  t.ok(one(rule, [obs('2025-01-01')]).met)
})
