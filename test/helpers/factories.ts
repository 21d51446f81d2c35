import { randomBytes } from 'node:crypto'
import { eq } from 'drizzle-orm'
import type { Db } from '../../src/db/client.ts'
import {
  accounts, apiKeys, assignments, cohorts, coordinatorPrograms, organizations, programOrganizations, programs, rubricVersions, rubrics, supervisors, trainees
} from '../../src/db/schema/index.ts'
import { generateApiKey } from '../../src/modules/accounts/api-key.ts'
import type { Role } from '../../src/lib/request-context.ts'
import type { RubricDefinition } from '../../src/modules/rubrics/rubric-schemas.ts'
import { testRubric } from '../fixtures/rubric.ts'

/** Fixture factories: insert straight into the database, so a test of one feature needs no other. */
const uniq = () => randomBytes(4).toString('hex')

export async function makeOrganization(db: Db, name = `Org ${uniq()}`) {
  const [row] = await db.insert(organizations).values({ name }).returning()
  return row!
}

export async function makeRubricVersion(db: Db, definition: RubricDefinition = testRubric, key = `rubric-${uniq()}`) {
  const [rubric] = await db.insert(rubrics).values({ key }).returning()
  const [version] = await db.insert(rubricVersions).values({
    rubricId: rubric!.id, version: 1, status: 'published', title: definition.title,
    definition, contentHash: uniq(), publishedAt: new Date()
  }).returning()
  return { rubric: rubric!, version: version! }
}

export async function makeProgram(db: Db, rubricVersionId?: string) {
  const versionId = rubricVersionId ?? (await makeRubricVersion(db)).version.id
  const [row] = await db.insert(programs).values({ name: `Program ${uniq()}`, rubricVersionId: versionId }).returning()
  return row!
}

export async function makeCohort(db: Db, programId: string) {
  const [row] = await db.insert(cohorts).values({ programId, name: `Cohort ${uniq()}` }).returning()
  return row!
}

/** The programme serves the organization (idempotent): its trainees may be placed in the programme's cohorts. */
export async function linkProgram(db: Db, programId: string, organizationId: string) {
  await db.insert(programOrganizations).values({ programId, organizationId }).onConflictDoNothing()
}

/** With a cohort, the cohort's programme is linked to the organization first, so the placement is a valid one. */
export async function makeTrainee(db: Db, organizationId: string, cohortId: string | null, fields: Partial<typeof trainees.$inferInsert> = {}) {
  if (cohortId !== null) {
    const [cohort] = await db.select({ programId: cohorts.programId }).from(cohorts).where(eq(cohorts.id, cohortId))
    if (cohort) await linkProgram(db, cohort.programId, organizationId)
  }
  const [row] = await db.insert(trainees).values({
    organizationId, cohortId, name: `Trainee ${uniq()}`, email: `t-${uniq()}@example.org`, discipline: 'nursing', ...fields
  }).returning()
  return row!
}

export async function makeSupervisor(db: Db, organizationId: string) {
  const [row] = await db.insert(supervisors).values({ organizationId, name: `Supervisor ${uniq()}`, email: `s-${uniq()}@example.org` }).returning()
  return row!
}

export async function assign(db: Db, supervisorId: string, traineeId: string, startsOn = '2020-01-01', endsOn: string | null = null) {
  const [row] = await db.insert(assignments).values({ supervisorId, traineeId, startsOn, endsOn }).returning()
  return row!
}

export interface AccountScope {
  supervisorId?: string
  traineeId?: string
  organizationId?: string
  programIds?: string[]
}

/** An account of the role with one API key; returns the key in clear. */
export async function makeAccount(db: Db, role: Role, scope: AccountScope = {}) {
  const [account] = await db.insert(accounts).values({
    role, name: `${role} ${uniq()}`,
    supervisorId: scope.supervisorId ?? null, traineeId: scope.traineeId ?? null, organizationId: scope.organizationId ?? null
  }).returning()
  for (const programId of scope.programIds ?? []) {
    await db.insert(coordinatorPrograms).values({ accountId: account!.id, programId })
  }
  const key = generateApiKey()
  await db.insert(apiKeys).values({ accountId: account!.id, name: 'test', prefix: key.prefix, keyHash: key.hash })
  return { account: account!, key: key.key }
}

/**
 * A complete little world: one programme on the test rubric, one cohort, two organisations (both
 * served by the programme, since a trainee of each is in its cohort), and in each a trainee with an
 * assigned supervisor, plus a key for every role. Tests of access use the
 * "other" half to prove that what is not yours is not found.
 */
export async function makeWorld(db: Db) {
  const { version: rubricVersion } = await makeRubricVersion(db)
  const program = await makeProgram(db, rubricVersion.id)
  const cohort = await makeCohort(db, program.id)
  const org = await makeOrganization(db)
  const otherOrg = await makeOrganization(db)
  const trainee = await makeTrainee(db, org.id, cohort.id)
  const otherTrainee = await makeTrainee(db, otherOrg.id, cohort.id)
  const supervisor = await makeSupervisor(db, org.id)
  const otherSupervisor = await makeSupervisor(db, otherOrg.id)
  await assign(db, supervisor.id, trainee.id)
  await assign(db, otherSupervisor.id, otherTrainee.id)
  const otherProgram = await makeProgram(db, rubricVersion.id)
  const keys = {
    coordinator: (await makeAccount(db, 'coordinator', { programIds: [program.id] })).key,
    otherCoordinator: (await makeAccount(db, 'coordinator', { programIds: [otherProgram.id] })).key,
    supervisor: (await makeAccount(db, 'supervisor', { supervisorId: supervisor.id })).key,
    otherSupervisor: (await makeAccount(db, 'supervisor', { supervisorId: otherSupervisor.id })).key,
    trainee: (await makeAccount(db, 'trainee', { traineeId: trainee.id })).key,
    otherTrainee: (await makeAccount(db, 'trainee', { traineeId: otherTrainee.id })).key,
    integrator: (await makeAccount(db, 'integrator', { organizationId: org.id })).key,
    otherIntegrator: (await makeAccount(db, 'integrator', { organizationId: otherOrg.id })).key
  }
  return { rubricVersion, program, otherProgram, cohort, org, otherOrg, trainee, otherTrainee, supervisor, otherSupervisor, keys }
}

export type World = Awaited<ReturnType<typeof makeWorld>>
