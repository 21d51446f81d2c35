import { eq, sql, type SQL } from 'drizzle-orm'
import type { LightMyRequestResponse } from 'fastify'
import type { Db } from '../../src/db/client.ts'
import { rows } from '../../src/db/rows.ts'
import type { Modality } from '../../src/lib/modality.ts'
import { auditEvents, observationRevisions, observationScores, observations } from '../../src/db/schema/index.ts'
import type { Client } from './app.ts'

/** Scores every required criterion of test/fixtures/rubric.ts (non-verbal as "not observed"). */
export const completeScores = () => [
  { criterionKey: 'eye-contact', level: 3, evidence: 'Held gaze while the client described the diagnosis.' },
  { criterionKey: 'body-language', level: 4 },
  { criterionKey: 'paraphrasing', level: 2, evidence: 'Reflected "you feel nobody listens" back.' },
  { criterionKey: 'non-verbal', notObserved: true }
]

export const session = (traineeId: string, extra: Record<string, unknown> = {}) => ({
  traineeId,
  sessionDate: '2024-05-02',
  durationMinutes: 50,
  setting: 'hospice room',
  modality: 'in_person',
  contextNote: 'Second visit; client anxious about pain management.',
  ...extra
})

export const ifMatch = (res: LightMyRequestResponse) => ({ 'if-match': String(res.headers.etag) })

/** Creates an observation through the API (as the given supervisor) and returns the 201 response. */
export async function createObservation(as: Client, traineeId: string, extra: Record<string, unknown> = {}) {
  const res = await as.post('/v1/observations', { body: session(traineeId, extra) })
  if (res.statusCode !== 201) throw new Error(`create failed: ${res.statusCode} ${res.body}`)
  return res
}

/** Rows of one observation (or of all), to prove a refused request wrote nothing. */
export async function countRows(db: Db, observationId?: string) {
  const count = async (table: typeof observations | typeof observationScores | typeof observationRevisions, where: SQL | undefined) =>
    (await db.select({ n: sql<number>`count(*)::int` }).from(table).where(where))[0]!.n
  return {
    observations: await count(observations, observationId ? eq(observations.id, observationId) : undefined),
    scores: await count(observationScores, observationId ? eq(observationScores.observationId, observationId) : undefined),
    revisions: await count(observationRevisions, observationId ? eq(observationRevisions.observationId, observationId) : undefined)
  }
}

export async function auditActions(db: Db, objectId: string): Promise<string[]> {
  const rows = await db.select({ action: auditEvents.action }).from(auditEvents)
    .where(eq(auditEvents.objectId, objectId)).orderBy(auditEvents.id)
  return rows.map((r) => r.action)
}

export const pointers = (res: LightMyRequestResponse): string[] =>
  ((res.json() as { errors?: Array<{ pointer: string }> }).errors ?? []).map((e) => e.pointer).sort()

/** An observation as an import or an administrator writes it, straight into the tables. */
export interface DirectObservation {
  traineeId: string
  supervisorId: string
  programId: string
  rubricVersionId: string
  status: 'draft' | 'submitted' | 'acknowledged'
  sessionDate: string
  durationMinutes: number
  setting?: string
  modality?: Modality
  /** Its scores (level null: "not observed"); none, no score rows at all. */
  scores?: Array<{ areaKey: string; criterionKey: string; level: number | null }>
}

/** Writes an observation and its scores (in one statement) without the API; returns its id. */
export async function insertObservation(db: Db, o: DirectObservation): Promise<string> {
  const [row] = await rows<{ id: string }>(db, sql`insert into observations
    (trainee_id, supervisor_id, program_id, rubric_version_id, status, session_date, duration_minutes, setting, modality, submitted_at)
    values (${o.traineeId}, ${o.supervisorId}, ${o.programId}, ${o.rubricVersionId}, ${o.status}, ${o.sessionDate}, ${o.durationMinutes},
      ${o.setting ?? 'Clinic'}, ${o.modality ?? 'in_person'}, ${o.status === 'draft' ? sql`null` : sql`now()`})
    returning id`)
  const scores = o.scores ?? []
  if (scores.length > 0) {
    await db.execute(sql`insert into observation_scores (observation_id, area_key, criterion_key, level_value, not_observed)
      values ${sql.join(scores.map((s) => sql`(${row!.id}, ${s.areaKey}, ${s.criterionKey}, ${s.level}, ${s.level === null})`), sql`, `)}`)
  }
  return row!.id
}
