import { desc, eq } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { eligibilityRuleSets } from '../../db/schema/index.ts'
import type { EligibilityRules } from './eligibility-schemas.ts'

export type RuleSetRow = typeof eligibilityRuleSets.$inferSelect

export async function latestRuleSet(db: Db, programId: string, { lock = false } = {}): Promise<RuleSetRow | undefined> {
  const query = db.select().from(eligibilityRuleSets).where(eq(eligibilityRuleSets.programId, programId))
    .orderBy(desc(eligibilityRuleSets.version)).limit(1)
  const [row] = lock ? await query.for('update') : await query
  return row
}

export function listRuleSets(db: Db, programId: string): Promise<RuleSetRow[]> {
  return db.select().from(eligibilityRuleSets).where(eq(eligibilityRuleSets.programId, programId)).orderBy(desc(eligibilityRuleSets.version))
}

export async function insertRuleSet(db: Db, values: { programId: string; version: number; rules: EligibilityRules; source: 'rubric' | 'api'; createdBy: string | null }): Promise<RuleSetRow> {
  const [row] = await db.insert(eligibilityRuleSets).values({ ...values, rules: values.rules as unknown as Record<string, unknown> }).returning()
  return row!
}
