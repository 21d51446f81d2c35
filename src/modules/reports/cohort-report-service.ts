import { eq } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { programs } from '../../db/schema/index.ts'
import { ERRORS } from '../../errors.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import { getCohort } from '../cohorts/cohorts-service.ts'
import { summarize, round2, type WeightedArea } from '../observations/scoring.ts'
import { getRubricVersionById } from '../rubrics/rubric-cache.ts'
import { batchEligibility, statusOf, todayUtc } from '../eligibility/eligibility-service.ts'
import { criterionMeans, traineeBatch, type CohortScope, type KeysetPosition, type TraineeAggregate } from './cohort-report-repository.ts'
import type { CohortReportFilter, CohortTraineeRow, WeakestCriterion } from './cohort-report-schemas.ts'

/** Trainees per query: large enough to keep round trips few, small enough to keep memory flat. */
export const BATCH_SIZE = 1000

export interface CohortReport {
  cohort: { id: string; name: string; programId: string }
  rubricVersionId: string
  /** Skill areas of the programme's pinned rubric version, in rubric order: one score column each. */
  areas: Array<{ key: string; title: string }>
  filter: CohortReportFilter & { asOf: string }
  /** The program's eligibility rules (null: it has none), as of the report's day. */
  eligibility: { version: number; rules: string[] } | null
  /** The trainees' lines in name order, fetched in batches as the consumer pulls. */
  rows(): AsyncGenerator<CohortTraineeRow>
}

function checkFilter(filter: CohortReportFilter): void {
  if (filter.from !== undefined && filter.to !== undefined && filter.to < filter.from) {
    throw ERRORS.validation([{ pointer: '/query/to', detail: `must be on or after from (${filter.from})` }])
  }
}

async function prepare(db: Db, ctx: RequestContext, cohortId: string, filter: CohortReportFilter) {
  checkFilter(filter)
  // Out of a coordinator's programmes the cohort is not found, exactly like a missing one.
  const cohort = await getCohort(db, ctx, cohortId)
  const [program] = await db.select({ id: programs.id, rubricVersionId: programs.rubricVersionId }).from(programs).where(eq(programs.id, cohort.programId))
  const rubric = program ? await getRubricVersionById(db, program.rubricVersionId) : undefined
  if (!rubric) throw ERRORS.internal()
  const scope: CohortScope = { cohortId, programId: cohort.programId, organizationId: filter.organizationId, from: filter.from, to: filter.to }
  return { cohort, program, rubric, scope }
}

/** Scored the same way as an observation's own summary (scoring.ts): weighted, "not observed" left out. */
function weightedAreas(definition: { areas: ReadonlyArray<{ key: string; title: string; weight?: number; criteria: ReadonlyArray<{ key: string; weight?: number }> }> }): WeightedArea[] {
  return definition.areas.map((a) => ({
    key: a.key, title: a.title, weight: a.weight ?? 1,
    criteria: a.criteria.map((c) => ({ key: c.key, weight: c.weight ?? 1 }))
  }))
}

function toRow(t: TraineeAggregate, areas: WeightedArea[], inactiveDays: number, eligibility: { unmet: number[] | undefined; rules: string[] } | null): CohortTraineeRow {
  const summary = t.levels ? summarize(areas, new Map(Object.entries(t.levels))) : null
  return {
    traineeId: t.id, name: t.name, email: t.email, organization: t.organization, externalHrId: t.externalHrId,
    observations: t.observations, acknowledged: t.acknowledged, supervisors: t.supervisors,
    lastObservationOn: t.lastObservationOn, daysSinceLastObservation: t.daysSinceLast,
    inactive: t.daysSinceLast === null || t.daysSinceLast > inactiveDays,
    areaScores: summary ? summary.areas.map((a) => a.score) : areas.map(() => null),
    overall: summary?.overall ?? null,
    eligibility: eligibility?.unmet ? statusOf(eligibility.unmet.length) : null,
    unmetRules: eligibility?.unmet?.map((i) => eligibility.rules[i] ?? '') ?? []
  }
}

/**
 * Checks access and the filter, then returns the report whose rows stream lazily: errors such as
 * 404 surface before a single byte of the response is sent.
 */
export async function openCohortReport(db: Db, ctx: RequestContext, cohortId: string, filter: CohortReportFilter): Promise<CohortReport> {
  const { cohort, program, rubric, scope } = await prepare(db, ctx, cohortId, filter)
  const areas = weightedAreas(rubric.definition)
  const asOf = filter.asOf ?? todayUtc()
  const eligibility = program ? await batchEligibility(db, program, asOf, filter.organizationId) : null
  const ruleTexts = eligibility?.rules.map((r) => r.description) ?? []
  return {
    cohort: { id: cohort.id, name: cohort.name, programId: cohort.programId },
    rubricVersionId: rubric.id,
    areas: areas.map((a) => ({ key: a.key, title: a.title })),
    filter: { ...filter, asOf },
    eligibility: eligibility && { version: eligibility.version, rules: ruleTexts },
    async * rows() {
      let after: KeysetPosition | null = null
      for (;;) {
        const batch = await traineeBatch(db, scope, asOf, after, BATCH_SIZE)
        // Eligibility for the batch in one statement, proportional to the batch.
        const unmet = eligibility ? await eligibility.check(batch.map((t) => t.id)) : null
        for (const t of batch) yield toRow(t, areas, filter.inactiveDays, unmet && { unmet: unmet.get(t.id), rules: ruleTexts })
        const last = batch.at(-1)
        if (!last || batch.length < BATCH_SIZE) return
        after = { name: last.name, id: last.id }
      }
    }
  }
}

/** The criteria the cohort is weakest in: mean level over each trainee's latest observation, lowest first. */
export async function weakestCriteria(db: Db, ctx: RequestContext, cohortId: string, filter: CohortReportFilter) {
  const { cohort, rubric, scope } = await prepare(db, ctx, cohortId, filter)
  const where = new Map<string, { areaKey: string; areaTitle: string; criterionTitle: string }>()
  for (const a of rubric.definition.areas) {
    for (const c of a.criteria) where.set(c.key, { areaKey: a.key, areaTitle: a.title, criterionTitle: c.title })
  }
  const items: WeakestCriterion[] = []
  for (const m of await criterionMeans(db, scope)) {
    const place = where.get(m.criterionKey)
    if (place) items.push({ ...place, criterionKey: m.criterionKey, meanLevel: round2(m.mean), trainees: m.trainees })
  }
  return { cohortId: cohort.id, rubricVersionId: rubric.id, items }
}
