import { and, eq } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { cohorts, organizations, trainees } from '../../db/schema/index.ts'
import { ERRORS } from '../../errors.ts'
import { getRow } from '../../lib/crud.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import { cohortScope, traineeProgramScope, traineeScope } from '../access/policy.ts'
import type { RubricDefinition } from '../rubrics/rubric-schemas.ts'
import { localDateTime } from '../../schedules/local-date.ts'
import { listEvaluated, traineeObservations, unmetByTrainee, type EligibilityStatus } from './eligibility-repository.ts'
import type { Eligibility, EligibilityList, EligibilityListQuery, RuleResult, TraineeEligibilityQuery } from './eligibility-schemas.ts'
import { evaluateRules, type EligibilityArea, type EvaluatedObservation } from './evaluate.ts'
import { describeRule } from './explain.ts'
import { effectiveRules, programById, visibleProgram, type EffectiveRules } from './rules-service.ts'

export const todayUtc = (): string => new Date().toISOString().slice(0, 10)

export function eligibilityAreas(definition: RubricDefinition): EligibilityArea[] {
  return definition.areas.map((a) => ({
    key: a.key, title: a.title, weight: a.weight ?? 1,
    criteria: a.criteria.map((c) => ({ key: c.key, title: c.title, weight: c.weight ?? 1 }))
  }))
}

export const statusOf = (unmet: number): EligibilityStatus => (unmet === 0 ? 'eligible' : unmet === 1 ? 'close' : 'not_eligible')

function message(rules: EffectiveRules, results: RuleResult[]): string {
  if (!rules.rules) return 'This program has no eligibility rules yet, so nobody is eligible: a coordinator sets them.'
  const unmet = results.filter((r) => !r.met)
  if (unmet.length === 0) return `Eligible: all ${results.length} rules are met.`
  return `Not eligible: ${unmet.length} of ${results.length} rules ${unmet.length === 1 ? 'is' : 'are'} not met.`
}

export interface TraineeEvaluation extends Eligibility {
  effective: EffectiveRules
  traineeName: string
  /** Every submitted observation of the trainee in the program, as the rules saw them. */
  history: EvaluatedObservation[]
}

/** One trainee's eligibility with every rule explained. Not a transaction: reads only. */
export async function evaluateTrainee(db: Db, ctx: RequestContext | null, traineeId: string, query: TraineeEligibilityQuery, { lockRules = false } = {}): Promise<TraineeEvaluation> {
  const [trainee] = await db.select({ id: trainees.id, name: trainees.name, programId: cohorts.programId, timeZone: organizations.timeZone })
    .from(trainees).leftJoin(cohorts, eq(cohorts.id, trainees.cohortId)).innerJoin(organizations, eq(organizations.id, trainees.organizationId))
    .where(and(eq(trainees.id, traineeId), ctx ? traineeScope(ctx.principal) : undefined))
  if (!trainee) throw ERRORS.notFound('trainee', traineeId)
  const programId = query.programId ?? trainee.programId
  if (!programId) throw ERRORS.validation([{ pointer: '/query/programId', detail: 'is required: the trainee is in no cohort, so name the program' }])
  const program = await programById(db, programId, ctx ? traineeProgramScope(ctx.principal, traineeId) : undefined)
  if (!program) throw ERRORS.notFound('program', programId)
  const effective = await effectiveRules(db, program, { lock: lockRules })
  // The trainee's "today" is their organization's, as the eligibility watch and the daily job count it.
  const asOf = query.asOf ?? localDateTime(trainee.timeZone).date
  const history = effective.rules ? await traineeObservations(db, traineeId, program.id) : []
  const results = effective.rules ? evaluateRules(effective.rules.rules, { areas: eligibilityAreas(effective.rubric.definition), asOf }, history) : []
  const unmet = effective.rules ? results.filter((r) => !r.met).length : 1
  return {
    traineeId, programId: program.id, ruleSetVersion: effective.version, asOf,
    eligible: unmet === 0, status: statusOf(unmet), message: message(effective, results), unmet,
    evaluatedAt: new Date().toISOString(), rules: results, effective, traineeName: trainee.name, history
  }
}

export async function getTraineeEligibility(db: Db, ctx: RequestContext, traineeId: string, query: TraineeEligibilityQuery): Promise<Eligibility> {
  const { effective: _effective, traineeName: _name, history: _history, ...eligibility } = await evaluateTrainee(db, ctx, traineeId, query)
  return eligibility
}

const encode = (row: { name: string; trainee_id: string }) => Buffer.from(JSON.stringify([row.name, row.trainee_id])).toString('base64url')
function decode(cursor: string | undefined): { name: string; id: string } | undefined {
  if (cursor === undefined) return undefined
  try {
    const [name, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown]
    if (typeof name !== 'string' || typeof id !== 'string' || !/^[0-9a-f-]{36}$/i.test(id)) throw new Error('bad cursor')
    return { name, id }
  } catch {
    throw ERRORS.validation([{ pointer: '/query/cursor', detail: 'is not a cursor this API returned' }])
  }
}

/** Every trainee of a program (or one of its cohorts), evaluated set-based in one statement per page. */
export async function listEligibility(db: Db, ctx: RequestContext, target: { programId?: string | undefined; cohortId?: string | undefined }, query: EligibilityListQuery): Promise<EligibilityList> {
  let programId = target.programId
  let cohortId: string | undefined
  if (target.cohortId !== undefined) {
    const cohort = await getRow(db, cohorts, target.cohortId, cohortScope(ctx.principal), 'cohort')
    // A cohort of another program is not one of this program's.
    if (programId !== undefined && cohort.programId !== programId) throw ERRORS.notFound('cohort', target.cohortId)
    programId = cohort.programId
    cohortId = cohort.id
  }
  if (programId === undefined) throw ERRORS.internal()
  const program = await visibleProgram(db, ctx, programId)
  const effective = await effectiveRules(db, program)
  const asOf = query.asOf ?? todayUtc()
  const rules = effective.rules?.rules ?? []
  const header = { programId: program.id, cohortId: cohortId ?? null, ruleSetVersion: effective.version, asOf }
  if (rules.length === 0) {
    // No rules: nobody is eligible; the list still names every trainee (with no rule to show).
    return { ...header, rules: [], summary: { trainees: 0, eligible: 0, close: 0, notEligible: 0 }, items: [], nextCursor: null }
  }
  const page = await listEvaluated(db, rules, eligibilityAreas(effective.rubric.definition), { programId: program.id, cohortId, asOf },
    { status: query.status, after: decode(query.cursor), limit: query.limit })
  const items = page.rows.slice(0, query.limit)
  return {
    ...header,
    rules: rules.map((rule, index) => ({ index, kind: rule.kind, description: describeRule(rule, asOf) })),
    summary: page.summary,
    items: items.map((r) => ({
      traineeId: r.trainee_id, name: r.name, cohortId: r.cohort_id, status: statusOf(r.unmet), unmet: r.unmet, unmetRules: r.unmet_rules, actual: r.actuals
    })),
    nextCursor: page.rows.length > query.limit && items.length > 0 ? encode(items.at(-1)!) : null
  }
}

/** A program's rules, ready to check trainees batch by batch (for reports that stream their rows). */
export interface BatchEligibility {
  version: number
  rules: Array<{ kind: string; description: string }>
  /** Indexes of the unmet rules per trainee id; a trainee outside the program is absent. */
  check(traineeIds: string[]): Promise<Map<string, number[]>>
}

/** Null when the program has no rules (nobody is eligible then). */
export async function batchEligibility(db: Db, program: { id: string; rubricVersionId: string }, asOf: string, organizationId?: string): Promise<BatchEligibility | null> {
  const effective = await effectiveRules(db, program)
  const rules = effective.rules?.rules
  if (!rules) return null
  const areas = eligibilityAreas(effective.rubric.definition)
  return {
    version: effective.version,
    rules: rules.map((rule) => ({ kind: rule.kind, description: describeRule(rule, asOf) })),
    check: (traineeIds) => (traineeIds.length === 0
      ? Promise.resolve(new Map())
      : unmetByTrainee(db, rules, areas, { programId: program.id, organizationId, traineeIds, asOf }))
  }
}
