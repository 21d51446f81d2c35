import type { Db } from '../../src/db/client.ts'
import type { RubricDefinition } from '../../src/modules/rubrics/rubric-schemas.ts'
import {
  assign, makeAccount, makeCohort, makeOrganization, makeProgram, makeRubricVersion, makeSupervisor, makeTrainee
} from '../../test/helpers/factories.ts'

const SCALE = [
  { value: 1, label: 'Beginning' },
  { value: 2, label: 'Developing' },
  { value: 3, label: 'Proficient' },
  { value: 4, label: 'Exemplary' }
]

/**
 * A rubric of `areas` × `criteriaPerArea` criteria on a 4-level scale, every criterion required and
 * scored. Built here rather than read from rubrics/, so a benchmark's workload never changes with
 * the content of the real rubrics.
 */
export function benchRubric(areas = 3, criteriaPerArea = 4): RubricDefinition {
  return {
    title: 'Benchmark rubric',
    scale: SCALE,
    areas: Array.from({ length: areas }, (_, a) => ({
      key: `area-${a + 1}`,
      title: `Area ${a + 1}`,
      criteria: Array.from({ length: criteriaPerArea }, (_, c) => {
        const title = `Criterion ${a + 1}.${c + 1}`
        return {
          key: `criterion-${a + 1}-${c + 1}`,
          title,
          levels: SCALE.map((s) => ({ value: s.value, descriptor: `${title}: ${s.label.toLowerCase()} level of the behaviour.` }))
        }
      })
    }))
  }
}

export interface SupervisedCohort {
  rubricKey: string
  rubricVersionId: string
  programId: string
  cohortId: string
  organizationId: string
  supervisorId: string
  supervisorAccountId: string
  /** A supervisor API key, in clear. */
  supervisorKey: string
  /** Trainees of the cohort, all currently assigned to the supervisor. */
  traineeIds: string[]
}

/** One programme pinned to a published version of `definition`, one cohort, one supervisor observing `trainees` trainees. */
export async function seedSupervisedCohort(db: Db, definition: RubricDefinition, trainees: number): Promise<SupervisedCohort> {
  const { rubric, version } = await makeRubricVersion(db, definition)
  const program = await makeProgram(db, version.id)
  const cohort = await makeCohort(db, program.id)
  const organization = await makeOrganization(db)
  const supervisor = await makeSupervisor(db, organization.id)
  const { account, key } = await makeAccount(db, 'supervisor', { supervisorId: supervisor.id })
  const traineeIds: string[] = []
  for (let i = 0; i < trainees; i++) {
    const trainee = await makeTrainee(db, organization.id, cohort.id)
    await assign(db, supervisor.id, trainee.id)
    traineeIds.push(trainee.id)
  }
  return {
    rubricKey: rubric.key,
    rubricVersionId: version.id,
    programId: program.id,
    cohortId: cohort.id,
    organizationId: organization.id,
    supervisorId: supervisor.id,
    supervisorAccountId: account.id,
    supervisorKey: key,
    traineeIds
  }
}
