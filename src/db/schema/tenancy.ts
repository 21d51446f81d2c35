import { index, pgTable, primaryKey, uuid } from 'drizzle-orm/pg-core'
import { createdAt } from './columns.ts'
import { organizations, programs } from './structure.ts'

/**
 * Which organizations a program serves. The wall between tenants: a coordinator of the program
 * reaches these organizations' people and nothing else, a trainee is placed in the program's
 * cohorts only from one of them, and its supervisors come from one of them.
 */
export const programOrganizations = pgTable('program_organizations', {
  programId: uuid('program_id').notNull().references(() => programs.id),
  organizationId: uuid('organization_id').notNull().references(() => organizations.id),
  createdAt: createdAt()
}, (t) => [
  primaryKey({ columns: [t.programId, t.organizationId] }),
  index('program_organizations_organization_idx').on(t.organizationId)
])
