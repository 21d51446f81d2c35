import { sql } from 'drizzle-orm'
import { check, index, integer, jsonb, pgSequence, pgTable, primaryKey, text, timestamp, unique, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { accounts } from './accounts.ts'
import { createdAt, id } from './columns.ts'
import { programs, trainees } from './structure.ts'

/**
 * A program's eligibility rules, one row per version: an edit appends a version, so a certificate
 * always names the exact rules it was issued under. Rows never change (a trigger refuses it).
 */
export const eligibilityRuleSets = pgTable('eligibility_rule_sets', {
  id: id(),
  programId: uuid('program_id').notNull().references(() => programs.id),
  version: integer('version').notNull(),
  /** Validated by the eligibility module's schema before it is stored. */
  rules: jsonb('rules').$type<Record<string, unknown>>().notNull(),
  /** 'rubric' when copied from the rubric's shipped defaults, 'api' when set through the API. */
  source: text('source').notNull(),
  createdBy: uuid('created_by').references(() => accounts.id),
  createdAt: createdAt()
}, (t) => [
  unique('eligibility_rule_sets_version').on(t.programId, t.version),
  check('eligibility_rule_sets_version_positive', sql`${t.version} >= 1`)
])

export const certificateSerial = pgSequence('certificate_serial', { startWith: 1 })

/**
 * An issued certificate. The evidence (rule results, the observations and scores that satisfied
 * them) is a snapshot taken at issue. Only revocation may change a row, once; rows are never deleted.
 */
export const certificates = pgTable('certificates', {
  id: id(),
  serial: text('serial').notNull().unique(),
  /** What the public verification URL carries: random, unguessable, unique. */
  verificationCode: text('verification_code').notNull().unique(),
  traineeId: uuid('trainee_id').notNull().references(() => trainees.id),
  programId: uuid('program_id').notNull().references(() => programs.id),
  ruleSetId: uuid('rule_set_id').notNull().references(() => eligibilityRuleSets.id),
  /** The names as printed, kept as issued (a later rename does not alter an issued certificate). */
  traineeName: text('trainee_name').notNull(),
  programName: text('program_name').notNull(),
  issuerName: text('issuer_name').notNull(),
  issuedAt: timestamp('issued_at', { withTimezone: true, mode: 'date' }).notNull(),
  issuedBy: uuid('issued_by').references(() => accounts.id),
  evidence: jsonb('evidence').$type<Record<string, unknown>>().notNull(),
  /** The Open Badges 3.0 credential, signed as a VC-JWT at issue. */
  credential: text('credential').notNull(),
  revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
  revocationReason: text('revocation_reason'),
  revokedBy: uuid('revoked_by').references(() => accounts.id),
  revision: integer('revision').notNull().default(1),
  createdAt: createdAt()
}, (t) => [
  // One certificate in force per trainee and program; after a revocation a new one may be issued.
  uniqueIndex('certificates_one_valid').on(t.traineeId, t.programId).where(sql`${t.revokedAt} is null`),
  index('certificates_program_idx').on(t.programId, t.issuedAt),
  check('certificates_revocation', sql`(${t.revokedAt} is null) = (${t.revocationReason} is null)`)
])

/**
 * The eligibility last told about (src/modules/eligibility/eligibility-watch.ts): a change of
 * `status` writes an `eligibility.changed` event in the transaction that updates this row, whether
 * an observation, a rule change or only time passing caused it.
 */
export const eligibilityStates = pgTable('eligibility_states', {
  traineeId: uuid('trainee_id').notNull().references(() => trainees.id),
  programId: uuid('program_id').notNull().references(() => programs.id),
  status: text('status', { enum: ['eligible', 'close', 'not_eligible'] }).notNull(),
  ruleSetVersion: integer('rule_set_version'),
  evaluatedAt: timestamp('evaluated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  changedAt: timestamp('changed_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow()
}, (t) => [
  primaryKey({ columns: [t.traineeId, t.programId] }),
  index('eligibility_states_program_idx').on(t.programId),
  check('eligibility_states_status', sql`${t.status} in ('eligible', 'close', 'not_eligible')`)
])
