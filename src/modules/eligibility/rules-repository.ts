import { desc, eq } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { eligibilityRuleSets, programs } from '../../db/schema/index.ts'
import type { EligibilityRules } from './eligibility-schemas.ts'

export type RuleSetRow = typeof eligibilityRuleSets.$inferSelect

/**
 * `lock` keeps the program's rules as they are until the transaction ends. It locks the program's
 * row, which setRules locks to write a version: rule set versions are append-only, and locking a
 * row takes UPDATE privilege, which the service's database role does not have on them.
 */
export async function latestRuleSet(db: Db, programId: string, { lock = false } = {}): Promise<RuleSetRow | undefined> {
  if (lock) await db.select({ id: programs.id }).from(programs).where(eq(programs.id, programId)).for('share')
  const [row] = await db.select().from(eligibilityRuleSets).where(eq(eligibilityRuleSets.programId, programId))
    .orderBy(desc(eligibilityRuleSets.version)).limit(1)
  return row
}

export function listRuleSets(db: Db, programId: string): Promise<RuleSetRow[]> {
  return db.select().from(eligibilityRuleSets).where(eq(eligibilityRuleSets.programId, programId)).orderBy(desc(eligibilityRuleSets.version))
}

export async function insertRuleSet(db: Db, values: { programId: string; version: number; rules: EligibilityRules; source: 'rubric' | 'api'; createdBy: string | null }): Promise<RuleSetRow> {
  const [row] = await db.insert(eligibilityRuleSets).values({ ...values, rules: values.rules as unknown as Record<string, unknown> }).returning()
  return row!
}
