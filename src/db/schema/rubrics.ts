import { sql } from 'drizzle-orm'
import { check, integer, jsonb, pgEnum, pgTable, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core'
import { createdAt, id } from './columns.ts'
import type { RubricDefinition } from '../../modules/rubrics/rubric-schemas.ts'

export const rubricVersionStatus = pgEnum('rubric_version_status', ['draft', 'published'])

export const rubrics = pgTable('rubrics', {
  id: id(),
  key: text('key').notNull().unique(),
  createdAt: createdAt()
}, (t) => [check('rubrics_key_format', sql`${t.key} ~ '^[a-z0-9][a-z0-9-]{1,62}$'`)])

/**
 * One numbered version of a rubric. The definition (areas, criteria, levels, descriptors) is stored
 * whole; once published a trigger makes the row immutable, so every score keeps its meaning.
 */
export const rubricVersions = pgTable('rubric_versions', {
  id: id(),
  rubricId: uuid('rubric_id').notNull().references(() => rubrics.id),
  version: integer('version').notNull(),
  status: rubricVersionStatus('status').notNull().default('draft'),
  title: text('title').notNull(),
  definition: jsonb('definition').$type<RubricDefinition>().notNull(),
  contentHash: text('content_hash').notNull(),
  createdAt: createdAt(),
  publishedAt: timestamp('published_at', { withTimezone: true, mode: 'date' }),
  createdBy: uuid('created_by')
}, (t) => [
  unique('rubric_versions_rubric_version').on(t.rubricId, t.version),
  check('rubric_versions_version_positive', sql`${t.version} > 0`)
])
