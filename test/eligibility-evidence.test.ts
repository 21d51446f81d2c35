import t from 'tap'
import type { Test } from 'tap'
import { sql } from 'drizzle-orm'
import pg from 'pg'
import type { App } from '../src/app.ts'
import type { Db } from '../src/db/client.ts'
import { rows } from '../src/db/rows.ts'
import type { Modality } from '../src/lib/modality.ts'
import { buildTestApp, client, type Client } from './helpers/app.ts'
import { assign, makeAccount, makeSupervisor, makeTrainee, makeWorld, type World } from './helpers/factories.ts'
import { completeScores, createObservation, ifMatch, insertObservation } from './helpers/observations.ts'

/**
 * Certificate eligibility reads each trainee's evidence row (trainee_evidence), which triggers keep
 * from the submitted and acknowledged observations and their summaries. These tests hold that row
 * to every way an observation is written: through the API, in SQL by an administrator, and by two
 * writers at once; and hold every row to an aggregate computed here from scratch.
 */

/** One submitted or acknowledged observation as the row holds it (one index of its parallel arrays). */
interface Entry {
  sessionDate: string
  supervisorId: string
  modality: Modality
  setting: string
  duration: number
  acknowledged: boolean
  minLevel: number | null
  scoredMask: number | null
  areaScores: Record<string, number> | null
}

interface Evidence {
  sessionDates: string[]
  supervisorIds: string[]
  modalities: string[]
  settings: string[]
  durations: number[]
  acknowledged: boolean[]
  minLevels: Array<number | null>
  scoredMasks: Array<number | null>
  areaScores: Array<Record<string, number> | null>
}

const asRow = (entries: Entry[]): Evidence => ({
  sessionDates: entries.map((e) => e.sessionDate),
  supervisorIds: entries.map((e) => e.supervisorId),
  modalities: entries.map((e) => e.modality),
  settings: entries.map((e) => e.setting),
  durations: entries.map((e) => e.duration),
  acknowledged: entries.map((e) => e.acknowledged),
  minLevels: entries.map((e) => e.minLevel),
  scoredMasks: entries.map((e) => e.scoredMask),
  areaScores: entries.map((e) => e.areaScores)
})
const NO_EVIDENCE = asRow([])

/** completeScores() under the test rubric: lowest level 2, criteria 1-3 scored, safety (3 + 4×3)/4. */
const COMPLETE = { minLevel: 2, scoredMask: 0b111, areaScores: { safety: 3.75, listening: 2 } }

/** Every evidence row, keyed "trainee/program"; read as JSON so both drivers return the same values. */
async function evidenceRows(db: Db): Promise<Map<string, Evidence>> {
  const found = await rows<{ key: string; evidence: string }>(db, sql`
    select trainee_id || '/' || program_id as key, json_build_object(
      'sessionDates', session_dates, 'supervisorIds', supervisor_ids, 'modalities', modalities, 'settings', settings,
      'durations', durations, 'acknowledged', acknowledged, 'minLevels', min_levels, 'scoredMasks', scored_masks,
      'areaScores', area_scores)::text as evidence
    from trainee_evidence`)
  return new Map(found.map((r) => [r.key, JSON.parse(r.evidence) as Evidence]))
}

/** A trainee's row in a program; a trainee who never had a submitted observation may have none. */
async function evidenceOf(db: Db, traineeId: string, programId: string): Promise<Evidence | undefined> {
  return (await evidenceRows(db)).get(`${traineeId}/${programId}`)
}

/**
 * The evidence recomputed from scratch: every observation that is not a draft, with its summary,
 * newest session first and then by id descending, settings trimmed of spaces as the rules compare them.
 */
async function referenceEvidence(db: Db): Promise<Map<string, Evidence>> {
  const observed = await rows<{
    id: string; key: string; status: string; session_date: string; supervisor_id: string; modality: Modality; setting: string
    duration_minutes: number; min_level: number | null; scored_mask: string | null; area_scores: string | null
  }>(db, sql`
    select o.id, o.trainee_id || '/' || o.program_id as key, o.status::text as status, o.session_date::text as session_date,
      o.supervisor_id, o.modality::text as modality, o.setting, o.duration_minutes,
      s.min_level, s.scored_mask::text as scored_mask, s.area_scores::text as area_scores
    from observations o left join observation_summaries s on s.observation_id = o.id`)
  const newestFirst = observed.filter((o) => o.status !== 'draft').sort((a, b) =>
    a.session_date !== b.session_date ? (a.session_date < b.session_date ? 1 : -1) : (a.id < b.id ? 1 : -1))
  const entries = new Map<string, Entry[]>()
  for (const o of newestFirst) {
    const list = entries.get(o.key) ?? []
    list.push({
      sessionDate: o.session_date, supervisorId: o.supervisor_id, modality: o.modality, setting: o.setting.replace(/^ +| +$/g, ''),
      duration: o.duration_minutes, acknowledged: o.status === 'acknowledged', minLevel: o.min_level,
      scoredMask: o.scored_mask === null ? null : Number(o.scored_mask),
      areaScores: o.area_scores === null ? null : JSON.parse(o.area_scores) as Record<string, number>
    })
    entries.set(o.key, list)
  }
  return new Map([...entries].map(([key, list]) => [key, asRow(list)]))
}

/** Every evidence row equals the reference, and every trainee with evidence has a row; returns the number of rows with evidence. */
async function assertMatchesReference(t: Test, db: Db): Promise<number> {
  const [actual, expected] = [await evidenceRows(db), await referenceEvidence(db)]
  for (const [key, evidence] of expected) t.strictSame(actual.get(key), evidence, `the row of ${key} holds its observations`)
  for (const [key, evidence] of actual) {
    if (!expected.has(key)) t.strictSame(evidence, NO_EVIDENCE, `the row of ${key}, with no submitted observation, is empty`)
  }
  return expected.size
}

const CRITERIA = [['safety', 'eye-contact'], ['safety', 'body-language'], ['listening', 'paraphrasing']] as const

/** Scores of eye-contact, body-language and paraphrasing, in that order (null: not observed). */
const scoresOf = (levels: Array<number | null>) =>
  levels.map((level, i) => ({ areaKey: CRITERIA[i]![0], criterionKey: CRITERIA[i]![1], level }))

/** A further trainee of the world's cohort, assigned to the given supervisors, with a key of their own. */
async function newTrainee(db: Db, w: World, app: App, supervisorIds: string[]) {
  const trainee = await makeTrainee(db, w.org.id, w.cohort.id)
  for (const id of supervisorIds) await assign(db, id, trainee.id)
  return { trainee, as: client(app, (await makeAccount(db, 'trainee', { traineeId: trainee.id })).key) }
}

async function submitted(t: Test, supervisor: Client, traineeId: string, extra: Record<string, unknown>) {
  const created = await createObservation(supervisor, traineeId, { scores: completeScores(), ...extra })
  const res = await supervisor.post(`/v1/observations/${created.json().id}/submit`, { headers: ifMatch(created) })
  t.equal(res.statusCode, 200, 'submitted')
  return res
}

t.test('the evidence row follows every write to a trainee\'s observations', async (t) => {
  const { app, db } = await buildTestApp(t)
  const w = await makeWorld(db)
  const supervisor = client(app, w.keys.supervisor)
  const second = await makeSupervisor(db, w.org.id)
  const secondSupervisor = client(app, (await makeAccount(db, 'supervisor', { supervisorId: second.id })).key)
  const evidence = async (traineeId: string, programId = w.program.id) => (await evidenceOf(db, traineeId, programId)) ?? NO_EVIDENCE

  await t.test('a draft is no evidence; submitting, acknowledging and amending each show in the row', async (t) => {
    const { trainee, as } = await newTrainee(db, w, app, [w.supervisor.id])
    const draft = await createObservation(supervisor, trainee.id, {
      sessionDate: '2024-03-04', durationMinutes: 40, setting: '  day room ', modality: 'video', scores: completeScores()
    })
    t.strictSame(await evidence(trainee.id), NO_EVIDENCE, 'a scored draft counts for nothing')

    const sub = await supervisor.post(`/v1/observations/${draft.json().id}/submit`, { headers: ifMatch(draft) })
    t.equal(sub.statusCode, 200, 'submitted')
    const entry: Entry = {
      sessionDate: '2024-03-04', supervisorId: w.supervisor.id, modality: 'video', setting: 'day room', duration: 40,
      acknowledged: false, ...COMPLETE
    }
    t.strictSame(await evidenceOf(db, trainee.id, w.program.id), asRow([entry]), 'the submitted observation is in the row, with its summary')

    const ack = await as.post(`/v1/observations/${draft.json().id}/acknowledge`, { headers: ifMatch(sub), body: {} })
    t.equal(ack.statusCode, 200, 'acknowledged')
    t.strictSame(await evidence(trainee.id), asRow([{ ...entry, acknowledged: true }]), 'acknowledging marks it acknowledged')

    const amended = await supervisor.post(`/v1/observations/${draft.json().id}/amendments`, {
      headers: ifMatch(ack), body: { reason: 'Eye contact was scored too high.', scores: [{ criterionKey: 'eye-contact', level: 1 }] }
    })
    t.equal(amended.statusCode, 200, 'amended')
    t.strictSame(await evidence(trainee.id), asRow([{ ...entry, minLevel: 1, areaScores: { safety: 3.25, listening: 2 } }]),
      'an amendment\'s levels replace the old ones, and the observation awaits a new acknowledgement')

    const recheck = await supervisor.post(`/v1/observations/${draft.json().id}/amendments`, {
      headers: ifMatch(amended), body: { reason: 'Session was shorter; summarizing scored.', durationMinutes: 35, scores: [{ criterionKey: 'summarizing', level: 4 }] }
    })
    t.equal(recheck.statusCode, 200, 'amended again')
    t.strictSame(await evidence(trainee.id), asRow([{
      ...entry, duration: 35, minLevel: 1, scoredMask: 0b10111, areaScores: { safety: 3.25, listening: 3 }
    }]), 'a second amendment shows its duration and its newly scored criterion')
  })

  await t.test('observations come newest session first, ties by id descending; drafts change nothing', async (t) => {
    const { trainee, as } = await newTrainee(db, w, app, [w.supervisor.id, second.id])
    const older = await submitted(t, supervisor, trainee.id, { sessionDate: '2024-02-01', durationMinutes: 30, setting: 'Clinic', modality: 'in_person' })
    const tieA = await submitted(t, secondSupervisor, trainee.id, { sessionDate: '2024-06-10', durationMinutes: 45, setting: ' Home visit', modality: 'audio' })
    const tieB = await submitted(t, supervisor, trainee.id, { sessionDate: '2024-06-10', durationMinutes: 55, setting: 'Clinic ', modality: 'video' })
    const oneStep = await secondSupervisor.post('/v1/observations', {
      body: { traineeId: trainee.id, sessionDate: '2024-01-15', durationMinutes: 60, setting: 'Ward', modality: 'simulated', scores: completeScores(), submit: true }
    })
    t.equal(oneStep.statusCode, 201, 'created and submitted in one request')
    const ack = await as.post(`/v1/observations/${tieA.json().id}/acknowledge`, { headers: ifMatch(tieA) })
    t.equal(ack.statusCode, 200, 'acknowledged')

    const byId = (id: string, e: Omit<Entry, 'minLevel' | 'scoredMask' | 'areaScores'>) => ({ id, entry: { ...e, ...COMPLETE } })
    const sameDay = [
      byId(tieA.json().id, { sessionDate: '2024-06-10', supervisorId: second.id, modality: 'audio', setting: 'Home visit', duration: 45, acknowledged: true }),
      byId(tieB.json().id, { sessionDate: '2024-06-10', supervisorId: w.supervisor.id, modality: 'video', setting: 'Clinic', duration: 55, acknowledged: false })
    ].sort((a, b) => (a.id < b.id ? 1 : -1))
    const olderEntry: Entry = {
      sessionDate: '2024-02-01', supervisorId: w.supervisor.id, modality: 'in_person', setting: 'Clinic', duration: 30, acknowledged: false, ...COMPLETE
    }
    const oldest: Entry = {
      sessionDate: '2024-01-15', supervisorId: second.id, modality: 'simulated', setting: 'Ward', duration: 60, acknowledged: false, ...COMPLETE
    }
    const expected = asRow([...sameDay.map((s) => s.entry), olderEntry, oldest])
    t.strictSame(await evidence(trainee.id), expected, 'newest first, the same-day pair by id descending, every array in step')

    const draft = await createObservation(supervisor, trainee.id, { sessionDate: '2024-12-01', scores: completeScores() })
    const saved = await supervisor.patch(`/v1/observations/${draft.json().id}`, { headers: ifMatch(draft), body: { setting: 'ward', scores: [{ criterionKey: 'eye-contact', level: 1 }] } })
    t.equal(saved.statusCode, 200, 'draft saved')
    t.strictSame(await evidence(trainee.id), expected, 'a newer draft, created and saved, changes nothing')

    const moved = await supervisor.post(`/v1/observations/${older.json().id}/amendments`, {
      headers: ifMatch(older), body: { reason: 'Wrong session date.', sessionDate: '2024-07-01', setting: 'Day centre' }
    })
    t.equal(moved.statusCode, 200, 'amended')
    t.strictSame(await evidence(trainee.id), asRow([{ ...olderEntry, sessionDate: '2024-07-01', setting: 'Day centre' }, ...sameDay.map((s) => s.entry), oldest]),
      'an amended session date moves the observation to its new place')
  })

  await t.test('an administrator\'s corrections in SQL reach the row', async (t) => {
    const { trainee: from } = await newTrainee(db, w, app, [w.supervisor.id])
    const { trainee: to } = await newTrainee(db, w, app, [w.supervisor.id])
    const base = { supervisorId: w.supervisor.id, programId: w.program.id, rubricVersionId: w.rubricVersion.id }
    await insertObservation(db, { ...base, traineeId: from.id, status: 'acknowledged', sessionDate: '2024-04-01', durationMinutes: 20, scores: scoresOf([4, 4, 4]) })
    const wrong = await insertObservation(db, { ...base, traineeId: from.id, status: 'submitted', sessionDate: '2024-05-01', durationMinutes: 25, setting: ' Ward ', scores: scoresOf([1, 2, null]) })
    const keptEntry: Entry = {
      sessionDate: '2024-04-01', supervisorId: w.supervisor.id, modality: 'in_person', setting: 'Clinic', duration: 20, acknowledged: true,
      minLevel: 4, scoredMask: 0b111, areaScores: { safety: 4, listening: 4 }
    }
    const wrongEntry: Entry = {
      sessionDate: '2024-05-01', supervisorId: w.supervisor.id, modality: 'in_person', setting: 'Ward', duration: 25, acknowledged: false,
      minLevel: 1, scoredMask: 0b011, areaScores: { safety: 1.75 }
    }
    t.strictSame(await evidence(from.id), asRow([wrongEntry, keptEntry]), 'observations inserted directly are in the row, scores included')

    await db.execute(sql`update observations set trainee_id = ${to.id}, revision = revision + 1 where id = ${wrong}`)
    t.strictSame(await evidence(from.id), asRow([keptEntry]), 'an observation moved to another trainee leaves the first row')
    t.strictSame(await evidence(to.id), asRow([wrongEntry]), 'and joins the other trainee\'s')

    const draft = await insertObservation(db, { ...base, traineeId: to.id, status: 'draft', sessionDate: '2024-06-01', durationMinutes: 30, scores: scoresOf([2, 2, 2]) })
    await db.execute(sql`delete from observation_scores where observation_id = ${draft}`)
    await db.execute(sql`delete from observations where id = ${draft}`)
    t.strictSame(await evidence(to.id), asRow([wrongEntry]), 'deleting a draft changes nothing')

    // Submitted observations are never deleted by the application (a guard refuses it); removing
    // one recorded in error means setting the guard aside for that transaction.
    await db.transaction(async (tx) => {
      await tx.execute(sql`alter table observations disable trigger observations_guard`)
      await tx.execute(sql`delete from observation_scores where observation_id = ${wrong}`)
      await tx.execute(sql`delete from observations where id = ${wrong}`)
      await tx.execute(sql`alter table observations enable trigger observations_guard`)
    })
    t.strictSame(await evidenceOf(db, to.id, w.program.id), NO_EVIDENCE, 'a deleted observation leaves the row, which stays, empty')
    t.strictSame(await evidence(from.id), asRow([keptEntry]), 'other trainees\' rows are untouched')
  })

  await t.test('every evidence row equals an aggregate of the observations and their summaries', async (t) => {
    const { trainee, as } = await newTrainee(db, w, app, [w.supervisor.id, second.id])
    const base = { supervisorId: second.id, rubricVersionId: w.rubricVersion.id, traineeId: trainee.id }
    const first = await submitted(t, supervisor, trainee.id, { sessionDate: '2024-08-08', setting: 'Clinic' })
    const other = await submitted(t, secondSupervisor, trainee.id, { sessionDate: '2024-08-08', setting: 'Clinic  ', modality: 'audio' })
    const ack = await as.post(`/v1/observations/${first.json().id}/acknowledge`, { headers: ifMatch(first) })
    t.equal(ack.statusCode, 200, 'acknowledged')
    const amended = await supervisor.post(`/v1/observations/${first.json().id}/amendments`, {
      headers: ifMatch(ack), body: { reason: 'Body language was weaker.', sessionDate: '2024-08-01', scores: [{ criterionKey: 'body-language', level: 2 }] }
    })
    t.equal(amended.statusCode, 200, 'amended')
    t.equal((await as.post(`/v1/observations/${other.json().id}/acknowledge`, { headers: ifMatch(other), body: { comment: 'Thanks.' } })).statusCode, 200, 'acknowledged')
    await insertObservation(db, { ...base, programId: w.program.id, status: 'submitted', sessionDate: '2024-08-08', durationMinutes: 15, setting: 'Home' })
    await insertObservation(db, { ...base, programId: w.otherProgram.id, status: 'acknowledged', sessionDate: '2024-03-03', durationMinutes: 90, scores: scoresOf([3, null, 1]) })
    await insertObservation(db, { ...base, programId: w.otherProgram.id, status: 'draft', sessionDate: '2024-03-04', durationMinutes: 90, scores: scoresOf([3, 3, 3]) })
    const outside = client(app, w.keys.otherSupervisor)
    await submitted(t, outside, w.otherTrainee.id, { sessionDate: '2024-09-09', durationMinutes: 70 })
    await createObservation(outside, w.otherTrainee.id, { sessionDate: '2024-09-10', scores: completeScores() })

    t.equal((await evidence(trainee.id, w.otherProgram.id)).durations.length, 1, 'another program\'s observation has a row of its own')
    t.equal((await evidence(trainee.id)).sessionDates.length, 3, 'the trainee\'s three observations in the program are counted')
    const withEvidence = await assertMatchesReference(t, db)
    t.equal(withEvidence, 6, 'the rows of every trainee above with evidence were compared')
  })
})

/**
 * Two writers submitting for the same trainee at once, each in its own transaction: the second
 * waits for the first to commit, then recomputes the row with both observations. Needs two server
 * connections, so it runs against a real Postgres server only.
 */
const serverUrl = process.env.DATABASE_URL
if (serverUrl) {
  t.test('concurrent submissions for one trainee both reach its row', async (t) => {
    const { app, db } = await buildTestApp(t)
    const w = await makeWorld(db)
    const [{ name }] = await rows<{ name: string }>(db, sql`select current_database() as name`) as [{ name: string }]
    const url = new URL(serverUrl)
    url.pathname = `/${name}`
    const first = new pg.Client({ connectionString: url.toString() })
    const second = new pg.Client({ connectionString: url.toString() })
    await first.connect()
    await second.connect()
    const base = { supervisorId: w.supervisor.id, programId: w.program.id, rubricVersionId: w.rubricVersion.id }
    const submitSql = 'update observations set status = \'submitted\', submitted_at = now(), revision = revision + 1 where id = $1'
    const insertSql = `insert into observations
      (trainee_id, supervisor_id, program_id, rubric_version_id, status, session_date, duration_minutes, setting, modality, submitted_at)
      values ($1, $2, $3, $4, 'submitted', '2024-05-05', $5, 'Clinic', 'in_person', now())`

    /** Runs `a` in an open transaction, then `b` in another, which must wait for `a`'s commit; `later` runs in `a` while `b` waits. */
    const race = async (t: Test, a: () => Promise<unknown>, b: () => Promise<unknown>, later?: () => Promise<unknown>) => {
      const [{ pid }] = (await first.query<{ pid: number }>('select pg_backend_pid() as pid')).rows as [{ pid: number }]
      await first.query('begin')
      await a()
      let finished = false
      const outcome = b().then(() => 'done', (err: Error) => err.message).finally(() => { finished = true })
      let waiting = false
      for (let i = 0; i < 250 && !waiting && !finished; i++) {
        const [blocked] = await rows<{ n: number }>(db, sql`select count(*)::int as n from pg_stat_activity where ${pid}::int = any(pg_blocking_pids(pid))`)
        waiting = blocked!.n > 0
        if (!waiting) await new Promise((resolve) => setTimeout(resolve, 20))
      }
      t.ok(waiting && !finished, 'the second submission waits for the first transaction')
      if (later) await later()
      await first.query('commit')
      t.equal(await outcome, 'done', 'and then completes')
    }

    try {
      await t.test('two drafts submitted at once, the row already there', async (t) => {
        const { trainee } = await newTrainee(db, w, app, [w.supervisor.id])
        await insertObservation(db, { ...base, traineeId: trainee.id, status: 'acknowledged', sessionDate: '2024-01-01', durationMinutes: 11, scores: scoresOf([3, 3, 3]) })
        const draftA = await insertObservation(db, { ...base, traineeId: trainee.id, status: 'draft', sessionDate: '2024-02-02', durationMinutes: 22, scores: scoresOf([2, 2, 2]) })
        const draftB = await insertObservation(db, { ...base, traineeId: trainee.id, status: 'draft', sessionDate: '2024-03-03', durationMinutes: 33, scores: scoresOf([4, 4, 4]) })
        t.strictSame((await evidenceOf(db, trainee.id, w.program.id))?.durations, [11], 'the row holds the one earlier observation')
        await race(t, () => first.query(submitSql, [draftA]), async () => {
          await second.query('begin')
          await second.query(submitSql, [draftB])
          await second.query('commit')
        })
        t.strictSame((await evidenceOf(db, trainee.id, w.program.id))?.durations, [33, 22, 11], 'both submissions are in the row')
        await assertMatchesReference(t, db)
      })

      await t.test('two first observations inserted at once, no row yet', async (t) => {
        const { trainee } = await newTrainee(db, w, app, [w.supervisor.id])
        t.equal(await evidenceOf(db, trainee.id, w.program.id), undefined, 'the trainee has no row yet')
        const values = (duration: number) => [trainee.id, base.supervisorId, base.programId, base.rubricVersionId, duration]
        await race(t, () => first.query(insertSql, values(40)), async () => {
          await second.query('begin')
          await second.query(insertSql, values(50))
          await second.query('commit')
        })
        t.strictSame([...(await evidenceOf(db, trainee.id, w.program.id))?.durations ?? []].sort((x, y) => x - y), [40, 50], 'both observations are in the row')
        await assertMatchesReference(t, db)
      })

      await t.test('an import and a supervisor\'s submission through the API at once', async (t) => {
        const { trainee } = await newTrainee(db, w, app, [w.supervisor.id])
        const supervisor = client(app, w.keys.supervisor)
        await submitted(t, supervisor, trainee.id, { sessionDate: '2024-01-10', durationMinutes: 10 })
        const draft = await createObservation(supervisor, trainee.id, { sessionDate: '2024-06-06', durationMinutes: 60, scores: completeScores() })
        await race(t, () => first.query(insertSql, [trainee.id, base.supervisorId, base.programId, base.rubricVersionId, 30]), async () => {
          const res = await supervisor.post(`/v1/observations/${draft.json().id}/submit`, { headers: ifMatch(draft) })
          if (res.statusCode !== 200) throw new Error(`submit failed: ${res.statusCode}`)
        })
        t.strictSame((await evidenceOf(db, trainee.id, w.program.id))?.durations, [60, 30, 10], 'the imported and the submitted observation are both in the row')
        await assertMatchesReference(t, db)
      })

      await t.test('a submission waiting for the row counts what the transaction holding it submitted', async (t) => {
        const { trainee } = await newTrainee(db, w, app, [w.supervisor.id])
        await insertObservation(db, { ...base, traineeId: trainee.id, status: 'submitted', sessionDate: '2024-01-01', durationMinutes: 11 })
        const draftA = await insertObservation(db, { ...base, traineeId: trainee.id, status: 'draft', sessionDate: '2024-02-02', durationMinutes: 22 })
        const draftB = await insertObservation(db, { ...base, traineeId: trainee.id, status: 'draft', sessionDate: '2024-03-03', durationMinutes: 33 })
        // The first transaction holds the row before it has rewritten it, as one refreshing the
        // trainee does between taking the lock and recomputing; it submits its own draft later.
        await race(t, () => first.query('select 1 from trainee_evidence where trainee_id = $1 for update', [trainee.id]), async () => {
          await second.query('begin')
          await second.query(submitSql, [draftB])
          await second.query('commit')
        }, () => first.query(submitSql, [draftA]))
        t.strictSame((await evidenceOf(db, trainee.id, w.program.id))?.durations, [33, 22, 11], 'both submissions are in the row')
        await assertMatchesReference(t, db)
      })
    } finally {
      await first.end()
      await second.end()
    }
  })
}
