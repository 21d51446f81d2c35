import { sql } from 'drizzle-orm'
import type { Db } from '../src/db/client.ts'
import { makeAccount, makeCohort, makeOrganization, makeProgram, makeRubricVersion, makeSupervisor } from '../test/helpers/factories.ts'
import { benchRubric } from './lib/seed.ts'

export interface ExportWorld {
  cohortId: string
  adminKey: string
  trainees: number
  observations: number
  scoreRows: number
}

/**
 * A cohort of `trainees` trainees, each with `perTrainee` submitted observations of 12 scores
 * (3 areas × 4 criteria), written set-based on the server (INSERT ... SELECT generate_series), so a
 * million score rows take seconds, not an hour of API calls. Dates spread over the past year,
 * supervisors over 20, levels random; one score in 12 is "not observed".
 */
export async function seedExportCohort(db: Db, trainees: number, perTrainee: number): Promise<ExportWorld> {
  const rubric = benchRubric(3, 4)
  const keys = rubric.areas.flatMap((a) => a.criteria.map((c) => c.key))
  const { version } = await makeRubricVersion(db, rubric)
  const program = await makeProgram(db, version.id)
  const cohort = await makeCohort(db, program.id)
  const orgs = [await makeOrganization(db, 'Hospice North'), await makeOrganization(db, 'Clinic, "South"')]
  const supervisors = []
  for (let i = 0; i < 20; i++) supervisors.push((await makeSupervisor(db, orgs[i % 2]!.id)).id)
  await db.execute(sql`insert into trainees (organization_id, cohort_id, name, email, external_hr_id)
    select (array[${orgs[0]!.id}::uuid, ${orgs[1]!.id}::uuid])[1 + g % 2], ${cohort.id}, 'Trainee ' || lpad(g::text, 6, '0'),
      'trainee-' || g || '@example.org', 'HR-' || g
    from generate_series(1, ${trainees}) g`)
  await db.execute(sql`insert into observations (trainee_id, supervisor_id, program_id, rubric_version_id, status, session_date,
      duration_minutes, setting, modality, submitted_at)
    select t.id, (${sql.raw(`array[${supervisors.map((s) => `'${s}'::uuid`).join(',')}]`)})[1 + (abs(hashtext(t.id::text)) + n) % 20],
      ${program.id}, ${version.id}, 'submitted', current_date - (n * 30 + abs(hashtext(t.id::text)) % 30), 50, 'clinic', 'in_person', now()
    from trainees t cross join generate_series(1, ${perTrainee}) n where t.cohort_id = ${cohort.id}`)
  await db.execute(sql`insert into observation_scores (observation_id, area_key, criterion_key, level_value, not_observed)
    select o.id, 'area-' || split_part(k, '-', 2), k, case when r < 0.083 then null else 1 + floor(r * 4)::int end, r < 0.083
    from observations o cross join unnest(${sql.raw(`array[${keys.map((k) => `'${k}'`).join(',')}]`)}) k
      cross join lateral (select random() + 0 * length(o.id::text || k) as r) rnd
    where o.program_id = ${program.id}`)
  await db.execute(sql`analyze`)
  const { key } = await makeAccount(db, 'admin')
  return { cohortId: cohort.id, adminKey: key, trainees, observations: trainees * perTrainee, scoreRows: trainees * perTrainee * keys.length }
}
