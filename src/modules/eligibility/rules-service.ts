import { and, eq, type SQL } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { programs } from '../../db/schema/index.ts'
import { ERRORS } from '../../errors.ts'
import { getRow } from '../../lib/crud.ts'
import { checkIfMatch } from '../../lib/etag.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import { recordAudit } from '../../db/audit.ts'
import { recordRulesChanged } from '../../events/subjects.ts'
import { programScope } from '../access/policy.ts'
import { getRubricVersionById, type RubricVersionRecord } from '../rubrics/rubric-cache.ts'
import type { EligibilityRules } from './eligibility-schemas.ts'
import { insertRuleSet, latestRuleSet, listRuleSets, type RuleSetRow } from './rules-repository.ts'
import { rulesProblems } from './rules-validation.ts'

/**
 * The rules a program's trainees are held to: the latest version stored with the program, or,
 * until the program sets its own, the defaults its rubric ships with (version 0). A program whose
 * rubric has none and that set none has no rules: nobody is eligible until a coordinator sets them.
 */
export interface EffectiveRules {
  programId: string
  /** The stored version's id; null for the rubric's defaults (stored at the first certificate). */
  ruleSetId: string | null
  version: number
  source: 'rubric' | 'api'
  rules: EligibilityRules | null
  createdAt: Date | null
  rubric: RubricVersionRecord
}

export const rulesEtag = (programId: string, version: number) => `"rules.${programId}.${version}"`

function fromRow(row: RuleSetRow, rubric: RubricVersionRecord): EffectiveRules {
  return {
    programId: row.programId, ruleSetId: row.id, version: row.version, source: row.source === 'api' ? 'api' : 'rubric',
    rules: row.rules as unknown as EligibilityRules, createdAt: row.createdAt, rubric
  }
}

async function rubricOf(db: Db, program: { rubricVersionId: string }): Promise<RubricVersionRecord> {
  const rubric = await getRubricVersionById(db, program.rubricVersionId)
  if (!rubric) throw ERRORS.internal()
  return rubric
}

export async function effectiveRules(db: Db, program: { id: string; rubricVersionId: string }, { lock = false } = {}): Promise<EffectiveRules> {
  const rubric = await rubricOf(db, program)
  const row = await latestRuleSet(db, program.id, { lock })
  if (row) return fromRow(row, rubric)
  return { programId: program.id, ruleSetId: null, version: 0, source: 'rubric', rules: rubric.definition.eligibility ?? null, createdAt: null, rubric }
}

/** The program under the caller's program scope (404 outside it). */
export function visibleProgram(db: Db, ctx: RequestContext, programId: string, { lock = false } = {}) {
  return getRow(db, programs, programId, programScope(ctx.principal), 'program', { lock })
}

export async function getRules(db: Db, ctx: RequestContext, programId: string): Promise<EffectiveRules> {
  return effectiveRules(db, await visibleProgram(db, ctx, programId))
}

export async function getRuleHistory(db: Db, ctx: RequestContext, programId: string): Promise<EffectiveRules[]> {
  const program = await visibleProgram(db, ctx, programId)
  const rubric = await rubricOf(db, program)
  const rows = await listRuleSets(db, program.id)
  return rows.length > 0 ? rows.map((r) => fromRow(r, rubric)) : [await effectiveRules(db, program)]
}

/**
 * A new version of the program's rules (If-Match: the current version's ETag, 428/412 otherwise).
 * Checked against the program's rubric; audited with the previous version's number.
 */
export async function setRules(db: Db, ctx: RequestContext, programId: string, rules: EligibilityRules, ifMatch: string | undefined): Promise<EffectiveRules> {
  return db.transaction(async (tx) => {
    // Locking the program serialises concurrent edits of its rules, also before the first version exists.
    const program = await visibleProgram(tx, ctx, programId, { lock: true })
    const current = await effectiveRules(tx, program)
    checkIfMatch(ifMatch, rulesEtag(program.id, current.version))
    const problems = rulesProblems(rules, current.rubric.definition.scale.map((s) => s.value))
    if (problems.length > 0) throw ERRORS.validation(problems, 'The eligibility rules have problems; see errors for each one.')
    const row = await insertRuleSet(tx, { programId: program.id, version: current.version + 1, rules, source: 'api', createdBy: ctx.principal.accountId })
    await recordAudit(tx, ctx, {
      action: 'eligibility_rules.update', objectType: 'program', objectId: program.id,
      changes: { version: { from: current.version, to: row.version }, rules: rules.rules.map((r) => r.kind) }
    })
    await recordRulesChanged(tx, ctx, program.id, row.version)
    return fromRow(row, current.rubric)
  })
}

/** The rule set a certificate is issued under: the rubric's defaults are stored as version 1 first. */
export async function storedRuleSetId(tx: Db, rules: EffectiveRules, accountId: string | null): Promise<string> {
  if (rules.ruleSetId) return rules.ruleSetId
  if (!rules.rules) throw ERRORS.internal()
  const row = await insertRuleSet(tx, { programId: rules.programId, version: 1, rules: rules.rules, source: 'rubric', createdBy: accountId })
  return row.id
}

/** `scope` (a condition on programs) makes a programme outside it read as missing. */
export const programById = async (db: Db, id: string, scope?: SQL) => (await db.select().from(programs).where(and(eq(programs.id, id), scope)))[0]
