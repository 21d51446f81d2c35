import { sql } from 'drizzle-orm'
import type { Readable } from 'node:stream'
import type { Db } from '../../src/db/client.ts'
import type { CohortReportData } from '../../src/reports/cohort-report.ts'
import { makeAccount, makeCohort, makeOrganization, makeProgram, makeRubricVersion, makeSupervisor } from './factories.ts'

/**
 * A cohort of `trainees` trainees with two submitted observations each (scores on the test
 * rubric's criteria), written set-based so thousands take a second; returns it and an admin key.
 */
export async function seedLargeCohort(db: Db, trainees: number): Promise<{ cohortId: string; adminKey: string }> {
  const { version } = await makeRubricVersion(db)
  const program = await makeProgram(db, version.id)
  const cohort = await makeCohort(db, program.id)
  const org = await makeOrganization(db)
  const supervisor = await makeSupervisor(db, org.id)
  await db.execute(sql`insert into trainees (organization_id, cohort_id, name, email)
    select ${org.id}, ${cohort.id}, 'Trainee ' || lpad(g::text, 6, '0'), 'trainee-' || g || '@example.org' from generate_series(1, ${trainees}) g`)
  await db.execute(sql`insert into observations (trainee_id, supervisor_id, program_id, rubric_version_id, status, session_date, duration_minutes, setting, modality, submitted_at)
    select t.id, ${supervisor.id}, ${program.id}, ${version.id}, 'submitted', current_date - n * 20, 50, 'clinic', 'in_person', now()
    from trainees t cross join generate_series(1, 2) n where t.cohort_id = ${cohort.id}`)
  await db.execute(sql`insert into observation_scores (observation_id, area_key, criterion_key, level_value, not_observed)
    select o.id, 'x', k, 1 + (abs(hashtext(o.id::text || k)) % 4), false
    from observations o cross join unnest(array['eye-contact', 'body-language', 'paraphrasing']) k where o.program_id = ${program.id}`)
  const { key } = await makeAccount(db, 'admin')
  return { cohortId: cohort.id, adminKey: key }
}

/** A cohort report of `trainees` lines, made up (no database): seconds of layout for 4,000. */
export function largeCohortData(trainees: number): CohortReportData {
  return {
    reportId: 'CR-TEST0000-00000000', generatedAt: new Date('2025-06-01T00:00:00Z'), program: 'Relationships certificate', cohort: 'Spring',
    organization: null, from: null, to: null, asOf: '2025-06-01', inactiveDays: 30,
    rubric: { key: 'therapeutic-relationship', version: 1, title: 'Therapeutic relationship skills' },
    scale: [{ value: 1, label: 'Beginning' }, { value: 2, label: 'Developing' }, { value: 3, label: 'Proficient' }, { value: 4, label: 'Exemplary' }],
    areas: ['Safe environment', 'Active listening', 'Collaboration'],
    trainees: Array.from({ length: trainees }, (_, i) => ({
      name: `Trainee ${String(i).padStart(5, '0')}`, organization: 'Hospice of the test', observations: 12, supervisors: 2,
      lastObservationOn: '2025-05-01', daysSinceLastObservation: 31, inactive: i % 3 === 0, areaScores: [2.5, 3, 1.75], overall: 2.42, eligibility: null
    })),
    weakest: [{ areaTitle: 'Safe environment', criterionTitle: 'Eye contact', meanLevel: 1.5, trainees: trainees }]
  }
}

export async function bytesOf(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const chunk of stream) parts.push(chunk as Buffer)
  return Buffer.concat(parts)
}

/** Polls `condition` every 20 ms until it holds (the test's own timeout bounds the wait). */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20))
}

/** A promise and the function that settles it, to hold a job in its data read for as long as a test needs. */
export function gate<T>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void
  const promise = new Promise<T>((resolve) => { open = resolve })
  return { promise, open }
}
