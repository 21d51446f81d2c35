import { sql } from 'drizzle-orm'
import type { Db } from '../src/db/client.ts'
import type { EligibilityRules } from '../src/modules/eligibility/eligibility-schemas.ts'
import { insertRuleSet } from '../src/modules/eligibility/rules-repository.ts'
import { makeCohort, makeOrganization, makeProgram, makeRubricVersion, makeSupervisor } from '../test/helpers/factories.ts'
import { benchRubric } from './lib/seed.ts'

/**
 * The rules the shipped rubric (rubrics/therapeutic-relationships.yaml) proposes, every kind once,
 * written out here so the workload never changes with the content of the real rubrics.
 */
export const BENCH_RULES: EligibilityRules = {
  rules: [
    { kind: 'window', months: 24 },
    { kind: 'minObservations', count: 6 },
    { kind: 'minSupervisors', count: 2 },
    { kind: 'minModality', modality: 'in_person', count: 2 },
    { kind: 'minSettings', count: 2 },
    { kind: 'minMinutes', minutes: 240 },
    { kind: 'areaMeans', latest: 3, minLevel: 3 },
    { kind: 'criterionFloor', latest: 3, minLevel: 2 },
    { kind: 'everyCriterionObserved', times: 2 },
    { kind: 'allAcknowledged' }
  ]
}

export interface EligibilityWorld {
  programId: string
  traineeIds: string[]
  trainees: number
  observations: number
  scoreRows: number
}

/** A number in [0, n) fixed for a trainee and a trait, so each trait varies independently of the others. */
const trait = (traineeId: string, name: string, n: number) => sql.raw(`(abs(hashtext(${traineeId}::text || '${name}')) % ${n})`)

/**
 * One program on a rubric of 3 areas × 4 criteria with BENCH_RULES stored as its version 1, one
 * cohort of `trainees`, each with `perTrainee` submitted or acknowledged observations of 12 scores,
 * written set-based on the server (INSERT ... SELECT generate_series). Each trainee has fixed traits
 * (how far apart the sessions are, how many supervisors, settings, how often in person, how able,
 * whether the latest sessions await acknowledgement), so each rule is missed by some trainees and a
 * realistic share is eligible, a larger one a rule short, most not eligible.
 */
export async function seedEligibilityProgram(db: Db, trainees: number, perTrainee: number): Promise<EligibilityWorld> {
  const rubric = benchRubric(3, 4)
  const keys = rubric.areas.flatMap((a) => a.criteria.map((c) => c.key))
  const { version } = await makeRubricVersion(db, rubric)
  const program = await makeProgram(db, version.id)
  const cohort = await makeCohort(db, program.id)
  const org = await makeOrganization(db, 'Hospice North')
  const supervisors: string[] = []
  for (let i = 0; i < 20; i++) supervisors.push((await makeSupervisor(db, org.id)).id)
  await insertRuleSet(db, { programId: program.id, version: 1, rules: BENCH_RULES, source: 'api', createdBy: null })
  await db.execute(sql`insert into trainees (organization_id, cohort_id, name, email, external_hr_id)
    select ${org.id}, ${cohort.id}, 'Trainee ' || lpad(g::text, 6, '0'), 'trainee-' || g || '@example.org', 'HR-' || g
    from generate_series(1, ${trainees}) g`)
  const t = 't.id'
  // Session n (1 = latest) lies n gaps back; gaps of 20-129 days leave 5 to 20 sessions in the 24 months.
  // 10% of trainees are seen by one supervisor only, 12% in one setting, 15% rarely in person;
  // for 35% the latest one or two sessions are not acknowledged yet.
  await db.execute(sql`insert into observations (trainee_id, supervisor_id, program_id, rubric_version_id, status, session_date,
      duration_minutes, setting, modality, submitted_at, acknowledged_at)
    select t.id,
      (${sql.raw(`array[${supervisors.map((s) => `'${s}'::uuid`).join(',')}]`)})[1 + (${trait(t, 'sup', 20)} + case when ${trait(t, 'one-sup', 10)} = 0 then 0 else n % 3 end) % 20],
      ${program.id}, ${version.id},
      st.status::observation_status,
      current_date - (n * (20 + ${trait(t, 'gap', 110)}) - 15)::int, 30 + 15 * ((n + ${trait(t, 'dur', 4)}) % 5),
      case when ${trait(t, 'one-setting', 100)} < 12 then 'clinic' else (array['clinic', 'ward', ' home visit '])[1 + n % 3] end,
      case when random() < (case when ${trait(t, 'rarely-in-person', 100)} < 15 then 0.05 else 0.5 end) then 'in_person'
        else (array['video', 'audio', 'simulated'])[1 + n % 3] end::modality,
      now(), case when st.status = 'acknowledged' then now() end
    from trainees t cross join generate_series(1, ${perTrainee}) n
      cross join lateral (select case when ${trait(t, 'ack', 100)} < 35 and n <= 1 + ${trait(t, 'ack-n', 2)}
        then 'submitted' else 'acknowledged' end as status) st
    where t.cohort_id = ${cohort.id}`)
  // Levels around an ability fixed per trainee (1.9 to 3.6), ±1 at random; one score in 12 is "not observed".
  await db.execute(sql`insert into observation_scores (observation_id, area_key, criterion_key, level_value, not_observed)
    select o.id, 'area-' || split_part(k, '-', 2), k,
      case when r < 0.083 then null else greatest(1, least(4, round(1.9 + ${trait('o.trainee_id', 'ability', 100)} * 0.017 + (r - 0.54) * 2.2)))::int end,
      r < 0.083
    from observations o cross join unnest(${sql.raw(`array[${keys.map((k) => `'${k}'`).join(',')}]`)}) k
      cross join lateral (select random() + 0 * length(o.id::text || k) as r) rnd
    where o.program_id = ${program.id}`)
  await db.execute(sql`analyze`)
  const ids = (await db.execute(sql`select id from trainees where cohort_id = ${cohort.id}`)) as unknown as { rows: Array<{ id: string }> }
  return {
    programId: program.id, traineeIds: ids.rows.map((r) => r.id),
    trainees, observations: trainees * perTrainee, scoreRows: trainees * perTrainee * keys.length
  }
}
