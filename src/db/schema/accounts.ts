import { sql } from 'drizzle-orm'
import { boolean, check, index, integer, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { active, createdAt, id, updatedAt } from './columns.ts'
import { organizations, programs, supervisors, trainees } from './structure.ts'

export const roles = ['admin', 'coordinator', 'supervisor', 'trainee', 'integrator'] as const
export const role = pgEnum('role', roles)

/**
 * Whoever calls the API: a person (admin, coordinator, supervisor, trainee) or an HR integration.
 * The role's scope lives on the row: a supervisor or trainee record, an organization for an
 * integrator, programs (in coordinator_programs) for a coordinator.
 */
export const accounts = pgTable('accounts', {
  id: id(),
  role: role('role').notNull(),
  name: text('name').notNull(),
  email: text('email'),
  supervisorId: uuid('supervisor_id').references(() => supervisors.id),
  traineeId: uuid('trainee_id').references(() => trainees.id),
  organizationId: uuid('organization_id').references(() => organizations.id),
  active: active(),
  /** scrypt hash (memory-hard) of the person's web password; null until they accept an invitation. Never for integrators. */
  passwordHash: text('password_hash'),
  /** Reminder emails (acknowledge, open drafts); the person turns them off in their settings or PATCH /v1/me. */
  emailReminders: boolean('email_reminders').notNull().default(true),
  /** Bumped by every change, so that ETags / If-Match can detect concurrent edits. */
  revision: integer('revision').notNull().default(1),
  createdAt: createdAt(),
  updatedAt: updatedAt()
}, (t) => [
  // A link only for its role; an active person's account always has its link. Only a deactivated
  // account may have lost it: migration 0006 unlinked duplicate accounts of one person that way.
  check('accounts_scope', sql`
    (${t.supervisorId} is null or ${t.role} = 'supervisor')
    and (${t.traineeId} is null or ${t.role} = 'trainee')
    and (${t.role} = 'integrator') = (${t.organizationId} is not null)
    and (${t.role} <> 'supervisor' or ${t.supervisorId} is not null or not ${t.active})
    and (${t.role} <> 'trainee' or ${t.traineeId} is not null or not ${t.active})`),
  // One account per person: a second account could otherwise borrow someone's observations.
  uniqueIndex('accounts_supervisor_unique').on(t.supervisorId).where(sql`${t.supervisorId} is not null`),
  uniqueIndex('accounts_trainee_unique').on(t.traineeId).where(sql`${t.traineeId} is not null`),
  index('accounts_role_idx').on(t.role, t.active),
  // People sign in with their email: one account per address.
  uniqueIndex('accounts_email_unique').on(sql`lower(${t.email})`)
])

export const coordinatorPrograms = pgTable('coordinator_programs', {
  accountId: uuid('account_id').notNull().references(() => accounts.id),
  programId: uuid('program_id').notNull().references(() => programs.id),
  createdAt: createdAt()
}, (t) => [primaryKey({ columns: [t.accountId, t.programId] })])

/** API keys are stored only as SHA-256 hashes of high-entropy secrets; the prefix identifies a key in lists. */
export const apiKeys = pgTable('api_keys', {
  id: id(),
  accountId: uuid('account_id').notNull().references(() => accounts.id),
  name: text('name').notNull(),
  prefix: text('prefix').notNull(),
  keyHash: text('key_hash').notNull().unique(),
  createdAt: createdAt(),
  createdBy: uuid('created_by'),
  revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
  lastUsedAt: timestamp('last_used_at', { withTimezone: true, mode: 'date' }),
  /** From then on the key answers 401 (api-key-expired); null: until revoked. */
  expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }),
  /** Only GET and HEAD; anything else answers 403 (api-key-read-only). */
  readOnly: boolean('read_only').notNull().default(false)
}, (t) => [index('api_keys_account_idx').on(t.accountId)])
