import { sql } from 'drizzle-orm'
import {
  bigint, boolean, check, date, index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, uuid
} from 'drizzle-orm/pg-core'
import { createdAt, id, updatedAt } from './columns.ts'
import { rubricVersions } from './rubrics.ts'
import { programs, supervisors, trainees } from './structure.ts'
import { accounts } from './accounts.ts'
import { MODALITIES } from '../../lib/modality.ts'

export const observationStatus = pgEnum('observation_status', ['draft', 'submitted', 'acknowledged'])
export const modality = pgEnum('modality', MODALITIES)
export const revisionKind = pgEnum('revision_kind', ['created', 'draft_saved', 'submitted', 'amended', 'acknowledged'])

/** The current state of an observation; every state it ever had is in observation_revisions. */
export const observations = pgTable('observations', {
  id: id(),
  traineeId: uuid('trainee_id').notNull().references(() => trainees.id),
  supervisorId: uuid('supervisor_id').notNull().references(() => supervisors.id),
  programId: uuid('program_id').notNull().references(() => programs.id),
  rubricVersionId: uuid('rubric_version_id').notNull().references(() => rubricVersions.id),
  status: observationStatus('status').notNull().default('draft'),
  revision: integer('revision').notNull().default(1),
  sessionDate: date('session_date', { mode: 'string' }).notNull(),
  durationMinutes: integer('duration_minutes').notNull(),
  setting: text('setting').notNull(),
  modality: modality('modality').notNull(),
  contextNote: text('context_note'),
  strengths: text('strengths'),
  areasForGrowth: text('areas_for_growth'),
  actionPlan: text('action_plan'),
  submittedAt: timestamp('submitted_at', { withTimezone: true, mode: 'date' }),
  acknowledgedAt: timestamp('acknowledged_at', { withTimezone: true, mode: 'date' }),
  acknowledgementComment: text('acknowledgement_comment'),
  createdBy: uuid('created_by').references(() => accounts.id),
  createdAt: createdAt(),
  updatedAt: updatedAt()
}, (t) => [
  index('observations_trainee_idx').on(t.traineeId, t.sessionDate),
  index('observations_supervisor_idx').on(t.supervisorId, t.sessionDate),
  index('observations_program_idx').on(t.programId, t.status),
  check('observations_duration', sql`${t.durationMinutes} between 1 and 1440`)
])

/** One row per criterion of the current revision; levelValue is null when "not observed". */
export const observationScores = pgTable('observation_scores', {
  observationId: uuid('observation_id').notNull().references(() => observations.id),
  areaKey: text('area_key').notNull(),
  criterionKey: text('criterion_key').notNull(),
  levelValue: integer('level_value'),
  notObserved: boolean('not_observed').notNull().default(false),
  evidence: text('evidence')
}, (t) => [
  primaryKey({ columns: [t.observationId, t.criterionKey] }),
  check('observation_scores_level_or_not_observed', sql`(${t.levelValue} is null) = ${t.notObserved}`)
])

/**
 * What eligibility reads of an observation's scores, kept by a database trigger on
 * observation_scores (so every writer keeps it current): the lowest level given, the criteria
 * scored (not "not observed"), and each skill area's score computed as the observation's own
 * summary does (weighted mean of its levels, two decimals, under the observation's rubric version).
 */
export const observationSummaries = pgTable('observation_summaries', {
  observationId: uuid('observation_id').primaryKey().references(() => observations.id, { onDelete: 'cascade' }),
  minLevel: integer('min_level'),
  scoredCriteria: text('scored_criteria').array().notNull().default(sql`'{}'::text[]`),
  areaScores: jsonb('area_scores').$type<Record<string, number>>().notNull().default(sql`'{}'::jsonb`),
  /** Bit i set: the rubric's i-th criterion (areas, then criteria, in order) was scored; up to 63 criteria. */
  scoredMask: bigint('scored_mask', { mode: 'number' })
})

/**
 * What eligibility reads of a trainee's submitted observations in a program, one row per trainee
 * and program, kept by database triggers on observations and observation_summaries (so every writer
 * keeps it current). Each array holds one entry per submitted or acknowledged observation, all in
 * the same order, newest session first (then by id, descending). Evaluating a whole program reads
 * one small row per trainee instead of sorting and grouping all of its observations, so its time
 * grows in step with the number of trainees. Dates are kept, not counts: the window rule moves with
 * the day of evaluation.
 */
export const traineeEvidence = pgTable('trainee_evidence', {
  traineeId: uuid('trainee_id').notNull().references(() => trainees.id),
  programId: uuid('program_id').notNull().references(() => programs.id),
  sessionDates: date('session_dates', { mode: 'string' }).array().notNull().default(sql`'{}'::date[]`),
  supervisorIds: uuid('supervisor_ids').array().notNull().default(sql`'{}'::uuid[]`),
  modalities: modality('modalities').array().notNull().default(sql`'{}'::modality[]`),
  /** Settings as eligibility compares them: trimmed. */
  settings: text('settings').array().notNull().default(sql`'{}'::text[]`),
  durations: integer('durations').array().notNull().default(sql`'{}'::integer[]`),
  acknowledged: boolean('acknowledged').array().notNull().default(sql`'{}'::boolean[]`),
  /** From each observation's summary; null where an observation has none. */
  minLevels: integer('min_levels').array().notNull().default(sql`'{}'::integer[]`),
  scoredMasks: bigint('scored_masks', { mode: 'number' }).array().notNull().default(sql`'{}'::bigint[]`),
  areaScores: jsonb('area_scores').array().notNull().default(sql`'{}'::jsonb[]`)
}, (t) => [primaryKey({ columns: [t.traineeId, t.programId] })])

/** Append-only: every saved state of an observation, whole, with who made it and why. */
export const observationRevisions = pgTable('observation_revisions', {
  observationId: uuid('observation_id').notNull().references(() => observations.id),
  revision: integer('revision').notNull(),
  kind: revisionKind('kind').notNull(),
  reason: text('reason'),
  snapshot: jsonb('snapshot').$type<Record<string, unknown>>().notNull(),
  actorAccountId: uuid('actor_account_id').references(() => accounts.id),
  createdAt: createdAt()
}, (t) => [primaryKey({ columns: [t.observationId, t.revision] })])
