import { randomBytes } from 'node:crypto'
import { eq, sql } from 'drizzle-orm'
import { buildApp, type App } from '../../src/app.ts'
import type { Database, Db } from '../../src/db/client.ts'
import { rows } from '../../src/db/rows.ts'
import { accounts, organizations, programs } from '../../src/db/schema/index.ts'
import type { EligibilityRules } from '../../src/modules/eligibility/eligibility-schemas.ts'
import { insertRuleSet } from '../../src/modules/eligibility/rules-repository.ts'
import type { TestApp } from './app.ts'
import { makeAccount, makeCohort, makeOrganization, makeProgram, makeRubricVersion, makeSupervisor, makeTrainee } from './factories.ts'
import { insertObservation } from './observations.ts'

const uniq = () => randomBytes(4).toString('hex')

/** An organization in `timeZone` with one program (its rules given), a cohort, and a trainee and supervisor with accounts and addresses. */
export async function zonedWorld(db: Db, timeZone: string, rules?: EligibilityRules) {
  const { version } = await makeRubricVersion(db)
  const program = await makeProgram(db, version.id)
  if (rules) await insertRuleSet(db, { programId: program.id, version: 1, rules, source: 'api', createdBy: null })
  const cohort = await makeCohort(db, program.id)
  const org = await makeOrganization(db)
  await db.update(organizations).set({ timeZone }).where(eq(organizations.id, org.id))
  const person = async () => {
    const trainee = await makeTrainee(db, org.id, cohort.id)
    const { account } = await makeAccount(db, 'trainee', { traineeId: trainee.id })
    await db.update(accounts).set({ email: `trainee-${uniq()}@example.org` }).where(eq(accounts.id, account.id))
    return { trainee, account }
  }
  const supervisor = await makeSupervisor(db, org.id)
  const { account: supervisorAccount, key: supervisorKey } = await makeAccount(db, 'supervisor', { supervisorId: supervisor.id })
  await db.update(accounts).set({ email: `supervisor-${uniq()}@example.org` }).where(eq(accounts.id, supervisorAccount.id))
  const first = await person()
  return { version, program, cohort, org, supervisor, supervisorAccount, supervisorKey, ...first, person }
}

export type ZonedWorld = Awaited<ReturnType<typeof zonedWorld>>

export async function setReminderDays(db: Db, programId: string, days: { acknowledge?: number | null; draft?: number | null }) {
  await db.update(programs).set({
    ...(days.acknowledge !== undefined ? { acknowledgeReminderDays: days.acknowledge } : {}),
    ...(days.draft !== undefined ? { draftReminderDays: days.draft } : {})
  }).where(eq(programs.id, programId))
}

/** An observation of the world's supervisor, its submission (or, for a draft, its creation) at `at`. */
export async function observationAt(db: Db, w: ZonedWorld, traineeId: string, o: { status: 'draft' | 'submitted' | 'acknowledged'; sessionDate: string; at: string }) {
  const id = await insertObservation(db, {
    traineeId, supervisorId: w.supervisor.id, programId: w.program.id, rubricVersionId: w.version.id,
    status: o.status, sessionDate: o.sessionDate, durationMinutes: 30
  })
  // Backdating is no edit a submitted observation allows: its guard trigger is bypassed for this one statement (fixtures are superuser).
  await db.transaction(async (tx) => {
    await tx.execute(sql`set local session_replication_role = replica`)
    await tx.execute(sql`update observations set created_at = ${o.at}::timestamptz,
      submitted_at = case when status = 'draft' then null else ${o.at}::timestamptz end where id = ${id}`)
  })
  return id
}

export async function mailsTo(db: Db, address: string) {
  return rows<{ template: string; subject: string | null; text_body: string | null }>(db,
    sql`select template, subject, text_body from mail_messages where to_address = ${address} order by created_at`)
}

export async function eligibilityEvents(db: Db, traineeId: string) {
  const found = await rows<{ data: Record<string, unknown> | string }>(db,
    sql`select data from events where type = 'eligibility.changed' and subject_id = ${traineeId} order by id`)
  return found.map((r) => (typeof r.data === 'string' ? JSON.parse(r.data) as Record<string, unknown> : r.data))
}

/**
 * A second instance of the service on the test's database: on PGlite the same connection (what
 * the embedded database allows), on a server a pool of its own (the fixtures' superuser pool), so
 * the two instances' transactions really overlap.
 */
export async function secondInstance(t: { teardown(fn: () => Promise<void>): void }, first: TestApp): Promise<App> {
  const database: Database = first.database.kind === 'pglite' ? first.database : { ...first.database, db: first.db, close: async () => {} }
  const app = await buildApp({ config: first.config, database, logger: false })
  await app.ready()
  t.teardown(async () => { await app.close() })
  return app
}
