import { eq, sql, type SQL } from 'drizzle-orm'
import type { LightMyRequestResponse } from 'fastify'
import type { Db } from '../../src/db/client.ts'
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
