import Fastify, { type FastifyInstance } from 'fastify'
import type { Pool } from 'pg'
import type { RubricDefinition } from '../src/modules/rubrics/rubric-schemas.ts'
import type { SupervisedCohort } from './lib/seed.ts'

/** The request body of POST /v1/observations, as the benchmark sends it to both routes. */
export interface SubmitBody {
  traineeId: string
  sessionDate: string
  durationMinutes: number
  setting: string
  modality: 'in_person' | 'video' | 'audio' | 'simulated'
  contextNote?: string
  scores: { criterionKey: string; level: number; evidence: string }[]
  strengths?: string
  areasForGrowth?: string
  actionPlan?: string
  submit: true
}

export const BARE_PATH = '/bare/observations'

const INSERT_OBSERVATION = `
  insert into observations (
    trainee_id, supervisor_id, program_id, rubric_version_id, status, revision, session_date, duration_minutes,
    setting, modality, context_note, strengths, areas_for_growth, action_plan, submitted_at, created_by
  ) values ($1, $2, $3, $4, 'submitted', 1, $5, $6, $7, $8, $9, $10, $11, $12, now(), $13)
  returning id, created_at, updated_at, submitted_at`

const INSERT_REVISION = `
  insert into observation_revisions (observation_id, revision, kind, snapshot, actor_account_id)
  values ($1, 1, 'submitted', $2, $3)`

const INSERT_AUDIT = `
  insert into audit_events (actor_account_id, action, object_type, object_id, changes, request_id)
  values ($1, 'observation.create', 'observation', $2, $3, $4)`

/** One multi-row insert for all scores, as drizzle's `insert().values([...])` sends it. */
function insertScores(observationId: string, scores: { areaKey: string; criterionKey: string; level: number; evidence: string }[]) {
  const values: unknown[] = []
  const rows = scores.map((s, i) => {
    values.push(observationId, s.areaKey, s.criterionKey, s.level, s.evidence)
    const p = i * 5
    return `($${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}, false, $${p + 5})`
  })
  return { text: `insert into observation_scores (observation_id, area_key, criterion_key, level_value, not_observed, evidence) values ${rows.join(', ')}`, values }
}

/**
 * The floor the real route is compared with: a bare Fastify instance whose one route writes the
 * same rows in one transaction with plain pg — no authentication, no validation, no lookups (the
 * ids the real route looks up come from the seed). It measures what the writes themselves cost.
 * The rows carry the same content as the real route's (the revision snapshot is the response body,
 * the audit row lists what was set), minus the computed score summary.
 */
export function buildBareApp(pool: Pool, world: SupervisedCohort, rubric: RubricDefinition): FastifyInstance {
  const criteria = new Map(rubric.areas.flatMap((area) => area.criteria.map((c) => [c.key, { areaKey: area.key, title: c.title }] as const)))
  const levelLabels = new Map(rubric.scale.map((s) => [s.value, s.label]))
  const app = Fastify({ logger: false })
  app.post(BARE_PATH, async (request, reply) => {
    const body = request.body as SubmitBody
    const scores = body.scores.map((s) => ({ ...s, areaKey: criteria.get(s.criterionKey)?.areaKey ?? 'unknown' }))
    const client = await pool.connect()
    try {
      await client.query('begin')
      const { rows: [row] } = await client.query<{ id: string; created_at: Date; updated_at: Date; submitted_at: Date }>(INSERT_OBSERVATION, [
        body.traineeId, world.supervisorId, world.programId, world.rubricVersionId, body.sessionDate, body.durationMinutes,
        body.setting, body.modality, body.contextNote ?? null, body.strengths ?? null, body.areasForGrowth ?? null,
        body.actionPlan ?? null, world.supervisorAccountId
      ])
      const observation = {
        id: row!.id, traineeId: body.traineeId, supervisorId: world.supervisorId, programId: world.programId,
        rubric: { id: world.rubricVersionId, key: world.rubricKey, version: 1 }, status: 'submitted', revision: 1, sessionDate: body.sessionDate,
        durationMinutes: body.durationMinutes, setting: body.setting, modality: body.modality,
        contextNote: body.contextNote ?? null, strengths: body.strengths ?? null, areasForGrowth: body.areasForGrowth ?? null,
        actionPlan: body.actionPlan ?? null, submittedAt: row!.submitted_at, createdAt: row!.created_at, updatedAt: row!.updated_at,
        scores: scores.map((s) => ({
          areaKey: s.areaKey, criterionKey: s.criterionKey, criterionTitle: criteria.get(s.criterionKey)?.title ?? s.criterionKey,
          level: s.level, levelLabel: levelLabels.get(s.level) ?? null, notObserved: false, evidence: s.evidence
        }))
      }
      await client.query(insertScores(row!.id, scores))
      await client.query(INSERT_REVISION, [row!.id, JSON.stringify(observation), world.supervisorAccountId])
      await client.query(INSERT_AUDIT, [
        world.supervisorAccountId, row!.id,
        JSON.stringify({
          status: 'submitted', revision: 1, traineeId: body.traineeId, supervisorId: world.supervisorId, programId: world.programId,
          rubricVersionId: world.rubricVersionId, sessionDate: body.sessionDate, scores: scores.map((s) => s.criterionKey)
        }),
        request.id
      ])
      await client.query('commit')
      client.release()
      return reply.code(201).send(observation)
    } catch (err) {
      try {
        await client.query('rollback')
        client.release()
      } catch (rollbackErr) {
        client.release(rollbackErr as Error)
      }
      throw err
    }
  })
  return app
}
