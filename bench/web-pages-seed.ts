import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { buildApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import type { Database } from '../src/db/client.ts'
import { trainees } from '../src/db/schema/index.ts'
import { readRubricFile } from '../src/modules/rubrics/rubric-files.ts'
import type { RubricDefinition } from '../src/modules/rubrics/rubric-schemas.ts'
import { createSession } from '../src/modules/identity/sessions.ts'
import { assign, makeTrainee } from '../test/helpers/factories.ts'
import { BenchFailure } from './lib/benchmark.ts'
import { ROOT } from './lib/service.ts'
import { seedSupervisedCohort } from './lib/seed.ts'
import { submitBody } from './observations-workload.ts'

/**
 * The web-pages world: one supervisor with `trainees` current trainees in one cohort of a program
 * pinned to the shipped rubric (the page renders what supervisors really score), each with
 * `submitted` submitted observations by this supervisor and every `draftEvery`-th one a draft in
 * progress; plus trainees whose assignment has ended, which the list must leave out. Observations
 * go through the real API (app.inject), so the pages read what production would have written.
 */
export const RUBRIC_FILE = 'rubrics/therapeutic-relationships.yaml'

export interface WebWorld {
  definition: RubricDefinition
  criterionKeys: string[]
  /** Current trainees, in seeding order. */
  trainees: Array<{ id: string; name: string }>
  pastTrainees: Array<{ id: string; name: string }>
  observations: number
  drafts: number
  /** A web session of the supervisor, in clear: the value of the rapport_session cookie. */
  sessionToken: string
}

export async function shippedRubric(): Promise<RubricDefinition> {
  const { rubric, problems } = await readRubricFile(join(ROOT, RUBRIC_FILE), ROOT)
  if (!rubric) throw new BenchFailure(`${RUBRIC_FILE} does not load: ${problems.map((p) => p.detail).join('; ')}`)
  return rubric.definition
}

const weeksAgo = (weeks: number) => new Date(Date.now() - weeks * 7 * 86_400_000).toISOString().slice(0, 10)

export async function seedWebWorld(
  database: Database, url: string, o: { trainees: number; pastTrainees: number; submitted: number; draftEvery: number }
): Promise<WebWorld> {
  const definition = await shippedRubric()
  const db = database.db
  const world = await seedSupervisedCohort(db, definition, o.trainees)
  const pastTrainees: WebWorld['pastTrainees'] = []
  for (let i = 0; i < o.pastTrainees; i++) {
    const t = await makeTrainee(db, world.organizationId, world.cohortId)
    await assign(db, world.supervisorId, t.id, '2020-01-01', '2023-12-31')
    pastTrainees.push({ id: t.id, name: t.name })
  }
  const app = await buildApp({ config: loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'silent', LOAD_RUBRICS_ON_START: 'false' }), database, logger: false })
  let observations = 0
  let drafts = 0
  try {
    const post = async (body: object) => {
      const res = await app.inject({ method: 'POST', url: '/v1/observations', headers: { authorization: `Bearer ${world.supervisorKey}` }, payload: body })
      if (res.statusCode !== 201) throw new BenchFailure(`seeding an observation answered ${res.statusCode}: ${res.body.slice(0, 1000)}`)
    }
    for (const [n, traineeId] of world.traineeIds.entries()) {
      for (let k = 0; k < o.submitted; k++) {
        await post(submitBody(traineeId, definition, weeksAgo(2 + 3 * (o.submitted - k)), n + k))
        observations++
      }
      if (n % o.draftEvery === 0) {
        const { scores, ...rest } = submitBody(traineeId, definition, weeksAgo(1), n)
        await post({ ...rest, scores: scores.slice(0, 5), submit: false })
        drafts++
      }
    }
  } finally {
    await app.close()
  }
  // Planner statistics, as autovacuum keeps them on a live database: a freshly seeded one has none.
  await db.execute(sql`analyze`)
  const rows = await db.select({ id: trainees.id, name: trainees.name }).from(trainees)
  const names = new Map(rows.map((r) => [r.id, r.name]))
  const { token } = await createSession(db, world.supervisorAccountId, new Date())
  return {
    definition,
    criterionKeys: definition.areas.flatMap((a) => a.criteria.map((c) => c.key)),
    trainees: world.traineeIds.map((id) => ({ id, name: names.get(id)! })),
    pastTrainees,
    observations,
    drafts,
    sessionToken: token
  }
}
