import { sql } from 'drizzle-orm'
import t from 'tap'
import { rows } from '../src/db/rows.ts'
import { consumeOnce } from '../src/events/consumers.ts'
import { recordEvents } from '../src/events/record.ts'
import { relayOnce } from '../src/events/relay.ts'
import { eligibilityWatch } from '../src/modules/eligibility/eligibility-watch.ts'
import { insertRuleSet } from '../src/modules/eligibility/rules-repository.ts'
import { dailyJobs } from '../src/schedules/schedules-plugin.ts'
import { runTick } from '../src/schedules/tick.ts'
import { localDateTime } from '../src/schedules/local-date.ts'
import { buildTestApp, client } from './helpers/app.ts'
import { eligibilityEvents, observationAt, secondInstance, zonedWorld } from './helpers/schedules.ts'

const env = await buildTestApp(t)
const { app, db, adminKey } = env
const jobs = dailyJobs('https://rapport.example')
const tick = (at: string) => runTick({ db: app.db, jobs, localHour: 6 }, new Date(at))

// Eligible with one observation in the last month. Kiritimati (UTC+14) is a day ahead of UTC for most of it.
const w = await zonedWorld(db, 'Pacific/Kiritimati', { rules: [{ kind: 'minObservations', count: 1 }, { kind: 'window', months: 1 }] })
await observationAt(db, w, w.trainee.id, { status: 'submitted', sessionDate: '2026-03-10', at: '2026-03-10T02:00:00Z' })
const late = await w.person()

const stateOf = async (traineeId: string) =>
  (await rows<{ status: string; rule_set_version: number | null }>(db, sql`select status, rule_set_version from eligibility_states where trainee_id = ${traineeId} and program_id = ${w.program.id}`))[0]
const watch = (at: string) => consumeOnce(app.db, eligibilityWatch(() => new Date(at)))

t.test('the daily job tells the first status, then a lapse caused only by time, as of the organization\'s date', async (t) => {
  // 16:00 UTC on 8 April is 06:00 on 9 April in Kiritimati: the window (after 9 March) still holds the session of 10 March.
  await tick('2026-04-08T16:00:00Z')
  t.same(await eligibilityEvents(db, w.trainee.id), [{
    traineeId: w.trainee.id, programId: w.program.id, from: null, to: 'eligible', cause: 'time', asOf: '2026-04-09',
    links: { self: `/v1/trainees/${w.trainee.id}/eligibility?programId=${w.program.id}`, trainee: `/v1/trainees/${w.trainee.id}`, program: `/v1/programs/${w.program.id}` }
  }])
  t.same(await stateOf(w.trainee.id), { status: 'eligible', rule_set_version: 1 })
  t.same(await eligibilityEvents(db, late.trainee.id), [], 'a first "not eligible" is stored, not told: everyone starts there')
  t.same(await stateOf(late.trainee.id), { status: 'not_eligible', rule_set_version: 1 })

  // 17:00 UTC on 9 April: still 9 April in UTC (when the session would count), but 10 April in Kiritimati.
  await tick('2026-04-09T17:00:00Z')
  const [, lapse] = await eligibilityEvents(db, w.trainee.id)
  t.match(lapse, { from: 'eligible', to: 'not_eligible', cause: 'time', asOf: '2026-04-10' })
  t.same(await stateOf(w.trainee.id), { status: 'not_eligible', rule_set_version: 1 })

  await tick('2026-04-10T17:00:00Z')
  t.equal((await eligibilityEvents(db, w.trainee.id)).length, 2, 'no change, no event')
  const [scope] = await rows<{ organization_ids: string[] | string; program_ids: string[] | string; subject_type: string }>(db,
    sql`select organization_ids, program_ids, subject_type from events where type = 'eligibility.changed' and subject_id = ${w.trainee.id} limit 1`)
  t.match(scope, { subject_type: 'eligibility' })
  t.match(String(scope!.organization_ids), w.org.id, 'readable in the trainee\'s organization')
  t.match(String(scope!.program_ids), w.program.id, 'and program')
})

t.test('the watch tells a change caused by activity, once', async (t) => {
  const observationId = await observationAt(db, w, late.trainee.id, { status: 'submitted', sessionDate: '2026-04-09', at: '2026-04-09T20:00:00Z' })
  await recordEvents(db, null, [{
    type: 'observation.submitted', subjectId: observationId, organizationIds: [w.org.id], programIds: [w.program.id],
    data: { observationId, traineeId: late.trainee.id, supervisorId: w.supervisor.id, programId: w.program.id, status: 'submitted', revision: 1, links: {} }
  }])
  await relayOnce(app.db)
  await watch('2026-04-09T20:00:00Z')
  t.match(await eligibilityEvents(db, late.trainee.id), [{ from: 'not_eligible', to: 'eligible', cause: 'activity', asOf: '2026-04-10' }])
  await watch('2026-04-09T20:05:00Z')
  await tick('2026-04-11T17:00:00Z')
  t.equal((await eligibilityEvents(db, late.trainee.id)).length, 1, 'neither the watch again nor the next day tells it twice')
})

t.test('a change of the program\'s rules is told as such', async (t) => {
  await insertRuleSet(db, { programId: w.program.id, version: 2, rules: { rules: [{ kind: 'minObservations', count: 2 }, { kind: 'window', months: 1 }] }, source: 'api', createdBy: null })
  await recordEvents(db, null, [{ type: 'program.rules_changed', subjectId: w.program.id, organizationIds: [], programIds: [w.program.id], data: { programId: w.program.id, version: 2, links: {} } }])
  await relayOnce(app.db)
  await watch('2026-04-11T20:00:00Z')
  const told = await eligibilityEvents(db, late.trainee.id)
  t.match(told.at(-1), { from: 'eligible', to: 'close', cause: 'rules', asOf: '2026-04-12' })
  t.same(await stateOf(late.trainee.id), { status: 'close', rule_set_version: 2 })
})

t.test('the daily job meeting newer rules than those last told says so', async (t) => {
  await insertRuleSet(db, { programId: w.program.id, version: 3, rules: { rules: [{ kind: 'minObservations', count: 1 }, { kind: 'window', months: 1 }] }, source: 'api', createdBy: null })
  await tick('2026-04-12T17:00:00Z')
  t.match((await eligibilityEvents(db, late.trainee.id)).at(-1), { from: 'close', to: 'eligible', cause: 'rules', asOf: '2026-04-13' })
})

t.test('a trainee\'s eligibility is read as of their organization\'s today unless asked for another day', async (t) => {
  // At any instant one of UTC+14 and UTC-12 is on another date than UTC: the organization is put there.
  const utc = new Date().toISOString().slice(0, 10)
  const zone = localDateTime('Pacific/Kiritimati').date !== utc ? 'Pacific/Kiritimati' : 'Etc/GMT+12'
  const there = await zonedWorld(db, zone, { rules: [{ kind: 'minObservations', count: 1 }] })
  const read = await client(app, adminKey).get(`/v1/trainees/${there.trainee.id}/eligibility`)
  t.equal(read.statusCode, 200)
  // Should the zone's date turn between the two calls, either side of it is its own date.
  const dates = [localDateTime(zone).date, localDateTime(zone, new Date(Date.now() - 60_000)).date]
  t.ok(dates.includes(read.json().asOf), `asOf ${read.json().asOf} is the date in ${zone}, not UTC's ${utc}`)
  const asked = await client(app, adminKey).get(`/v1/trainees/${there.trainee.id}/eligibility`, { query: { asOf: '2026-01-31' } })
  t.equal(asked.json().asOf, '2026-01-31')
})

t.test('the watch on one instance and the daily job on another tell one change once', async (t) => {
  const other = await secondInstance(t, env)
  const both = await w.person()
  const observationId = await observationAt(db, w, both.trainee.id, { status: 'submitted', sessionDate: '2026-04-20', at: '2026-04-20T01:00:00Z' })
  await recordEvents(db, null, [{
    type: 'observation.submitted', subjectId: observationId, organizationIds: [w.org.id], programIds: [w.program.id],
    data: { observationId, traineeId: both.trainee.id, supervisorId: w.supervisor.id, programId: w.program.id, status: 'submitted', revision: 1, links: {} }
  }])
  await relayOnce(app.db)
  // The same local date (21 April in Kiritimati) for both: either may come first, and the other finds the state told.
  await Promise.all([watch('2026-04-20T17:00:00Z'), runTick({ db: other.db, jobs, localHour: 6 }, new Date('2026-04-20T17:00:00Z'))])
  const told = await eligibilityEvents(db, both.trainee.id)
  t.equal(told.length, 1, 'one event')
  t.match(told[0], { from: null, to: 'eligible', asOf: '2026-04-21' })
})

t.test('a daily pass that runs before the watch has handled a submission tells it as activity, and the watch tells nothing more', async (t) => {
  const ahead = await w.person()
  const observationId = await observationAt(db, w, ahead.trainee.id, { status: 'submitted', sessionDate: '2026-04-22', at: '2026-04-22T02:00:00Z' })
  await recordEvents(db, null, [{
    type: 'observation.submitted', subjectId: observationId, organizationIds: [w.org.id], programIds: [w.program.id],
    data: { observationId, traineeId: ahead.trainee.id, supervisorId: w.supervisor.id, programId: w.program.id, status: 'submitted', revision: 1, links: {} }
  }])
  // Not yet numbered, then numbered but not yet read by the watch: both are activity the watch has still to handle.
  await tick('2026-04-22T17:00:00Z')
  t.match(await eligibilityEvents(db, ahead.trainee.id), [{ from: null, to: 'eligible', cause: 'activity', asOf: '2026-04-23' }])
  await relayOnce(app.db)
  while (await watch('2026-04-22T17:05:00Z'));
  t.equal((await eligibilityEvents(db, ahead.trainee.id)).length, 1, 'the watch finds the change told')
})
