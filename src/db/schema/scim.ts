import { sql } from 'drizzle-orm'
import { check, index, integer, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { createdAt, id, updatedAt } from './columns.ts'
import { organizations, supervisors, trainees } from './structure.ts'

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
