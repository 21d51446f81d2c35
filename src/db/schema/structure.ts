import { sql } from 'drizzle-orm'
import { check, date, index, integer, pgTable, text, unique, uuid } from 'drizzle-orm/pg-core'
import { active, createdAt, id, updatedAt } from './columns.ts'
import { rubricVersions } from './rubrics.ts'

/** Bumped by every update; the ETag of a record is its id and revision (src/lib/etag.ts). */
const revision = () => integer('revision').notNull().default(1)

/** An employer site: the hospice, the school district, the clinic. */
export const organizations = pgTable('organizations', {
  id: id(),
  name: text('name').notNull(),
  /** The role a person provisioned by SCIM gets when the identity provider sends none (an admin sets it). */
  provisioningRole: text('provisioning_role', { enum: ['trainee', 'supervisor'] }).notNull().default('trainee'),
  /** IANA zone in which the organization's "today" and "N days" are counted (schedules, reminders, eligibility windows). */
  timeZone: text('time_zone').notNull().default('UTC'),
  active: active(),
  revision: revision(),
  createdAt: createdAt(),
  updatedAt: updatedAt()
}, (t) => [check('organizations_provisioning_role', sql`${t.provisioningRole} in ('trainee', 'supervisor')`)])

/** A certificate programme, pinned to the exact rubric version its observations are scored under. */
export const programs = pgTable('programs', {
  id: id(),
  name: text('name').notNull(),
  description: text('description'),
  rubricVersionId: uuid('rubric_version_id').notNull().references(() => rubricVersions.id),
  /** Days after which a trainee is reminded to acknowledge a submitted observation; null = no reminder. */
  acknowledgeReminderDays: integer('acknowledge_reminder_days'),
  /** Days after which a supervisor is reminded of a draft still open; null = no reminder. */
  draftReminderDays: integer('draft_reminder_days'),
  active: active(),
  revision: revision(),
  createdAt: createdAt(),
  updatedAt: updatedAt()
})

export const cohorts = pgTable('cohorts', {
  id: id(),
  programId: uuid('program_id').notNull().references(() => programs.id),
  name: text('name').notNull(),
  startsOn: date('starts_on', { mode: 'string' }),
  endsOn: date('ends_on', { mode: 'string' }),
  active: active(),
  revision: revision(),
  createdAt: createdAt(),
  updatedAt: updatedAt()
}, (t) => [index('cohorts_program_idx').on(t.programId)])

export const trainees = pgTable('trainees', {
  id: id(),
  organizationId: uuid('organization_id').notNull().references(() => organizations.id),
  cohortId: uuid('cohort_id').references(() => cohorts.id),
  name: text('name').notNull(),
  email: text('email').notNull(),
  discipline: text('discipline'),
  externalHrId: text('external_hr_id'),
  active: active(),
  revision: revision(),
  createdAt: createdAt(),
  updatedAt: updatedAt()
}, (t) => [
  unique('trainees_org_external_hr_id').on(t.organizationId, t.externalHrId),
  index('trainees_cohort_idx').on(t.cohortId),
  // Delta sync reads in (updated_at, id) order; a trigger stamps updated_at (migration 0008).
  index('trainees_updated_idx').on(t.updatedAt, t.id)
])

export const supervisors = pgTable('supervisors', {
  id: id(),
  organizationId: uuid('organization_id').notNull().references(() => organizations.id),
  name: text('name').notNull(),
  email: text('email').notNull(),
  discipline: text('discipline'),
  externalHrId: text('external_hr_id'),
  active: active(),
  revision: revision(),
  createdAt: createdAt(),
  updatedAt: updatedAt()
}, (t) => [
  index('supervisors_org_idx').on(t.organizationId),
  unique('supervisors_org_external_hr_id').on(t.organizationId, t.externalHrId),
  index('supervisors_updated_idx').on(t.updatedAt, t.id)
])

/** Which supervisor may observe which trainee, and when. */
export const assignments = pgTable('assignments', {
  id: id(),
  supervisorId: uuid('supervisor_id').notNull().references(() => supervisors.id),
  traineeId: uuid('trainee_id').notNull().references(() => trainees.id),
  startsOn: date('starts_on', { mode: 'string' }).notNull(),
  endsOn: date('ends_on', { mode: 'string' }),
  active: active(),
  revision: revision(),
  createdAt: createdAt(),
  updatedAt: updatedAt()
}, (t) => [
  index('assignments_supervisor_trainee_idx').on(t.supervisorId, t.traineeId),
  index('assignments_trainee_idx').on(t.traineeId),
  check('assignments_dates', sql`${t.endsOn} is null or ${t.endsOn} >= ${t.startsOn}`)
])
