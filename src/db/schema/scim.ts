import { sql } from 'drizzle-orm'
import { check, index, integer, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { createdAt, id, updatedAt } from './columns.ts'
import { cohorts, organizations, supervisors, trainees } from './structure.ts'

/**
 * What SCIM 2.0 (RFC 7643) keeps about a provisioned person that the trainee or supervisor row has
 * no field for. The SCIM resource id is this row's id, not the person's, so one id space serves
 * both kinds of person. Exactly one person link; active, email, name, discipline and the HR id
 * stay on the person, so /v1 and /scim/v2 never disagree.
 */
export const scimUsers = pgTable('scim_users', {
  id: id(),
  organizationId: uuid('organization_id').notNull().references(() => organizations.id),
  traineeId: uuid('trainee_id').references(() => trainees.id),
  supervisorId: uuid('supervisor_id').references(() => supervisors.id),
  userName: text('user_name').notNull(),
  /** The identity provider's own id, kept byte for byte (caseExact in RFC 7643). */
  externalId: text('external_id'),
  givenName: text('given_name'),
  familyName: text('family_name'),
  formattedName: text('formatted_name'),
  /** As the identity provider sent it; the person's name is derived from it, else from the name parts. */
  displayName: text('display_name'),
  department: text('department'),
  /** The line manager (enterprise extension `manager`); not a clinical supervisor. */
  managerId: text('manager_id'),
  managerDisplayName: text('manager_display_name'),
  /** Bumped by every SCIM write; with the person's revision it makes meta.version. */
  revision: integer('revision').notNull().default(1),
  createdAt: createdAt(),
  updatedAt: updatedAt()
}, (t) => [
  check('scim_users_one_person', sql`(${t.traineeId} is null) <> (${t.supervisorId} is null)`),
  uniqueIndex('scim_users_org_user_name').on(t.organizationId, sql`lower(${t.userName})`),
  uniqueIndex('scim_users_trainee_unique').on(t.traineeId).where(sql`${t.traineeId} is not null`),
  uniqueIndex('scim_users_supervisor_unique').on(t.supervisorId).where(sql`${t.supervisorId} is not null`),
  index('scim_users_org_created_idx').on(t.organizationId, t.createdAt, t.id)
])

/**
 * A SCIM 2.0 group (RFC 7643 §4.2) of the organization, as its identity provider pushes it. A group
 * grants nothing until an admin or a coordinator maps it: to a role (trainee or supervisor, never
 * coordinator or admin) or to a cohort; never both.
 */
export const scimGroups = pgTable('scim_groups', {
  id: id(),
  organizationId: uuid('organization_id').notNull().references(() => organizations.id),
  displayName: text('display_name').notNull(),
  /** The identity provider's own id, kept byte for byte (caseExact in RFC 7643). */
  externalId: text('external_id'),
  mappedRole: text('mapped_role'),
  mappedCohortId: uuid('mapped_cohort_id').references(() => cohorts.id),
  /** Bumped by every write (SCIM or mapping): meta.version and the mapping's ETag. */
  revision: integer('revision').notNull().default(1),
  createdAt: createdAt(),
  updatedAt: updatedAt()
}, (t) => [
  check('scim_groups_mapped_role', sql`${t.mappedRole} is null or ${t.mappedRole} in ('trainee', 'supervisor')`),
  check('scim_groups_one_mapping', sql`${t.mappedRole} is null or ${t.mappedCohortId} is null`),
  // Okta and Entra expect a duplicate displayName to be a 409 uniqueness.
  uniqueIndex('scim_groups_org_display_name').on(t.organizationId, sql`lower(${t.displayName})`),
  index('scim_groups_org_created_idx').on(t.organizationId, t.createdAt, t.id)
])

/** Members are SCIM users of the group's organization. */
export const scimGroupMembers = pgTable('scim_group_members', {
  groupId: uuid('group_id').notNull().references(() => scimGroups.id),
  scimUserId: uuid('scim_user_id').notNull().references(() => scimUsers.id),
  createdAt: createdAt()
}, (t) => [
  primaryKey({ columns: [t.groupId, t.scimUserId] }),
  index('scim_group_members_user_idx').on(t.scimUserId)
])
