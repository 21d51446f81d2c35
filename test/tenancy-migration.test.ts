import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { MIGRATIONS_DIR, openDatabase, type Database } from '../src/db/client.ts'
import { rows as rowsIn } from '../src/db/rows.ts'
import { emptyServerDatabase } from './helpers/database.ts'

/**
 * Migration 0006 on data written before it: a database migrated up to 0005 is filled, then migrated
 * to the end, as a deployment upgrades. Links come from placements only, assignments the new rules
 * refuse are logged, duplicate accounts of a person are unlinked without losing a row.
 */

/** The migrations folder as it was before 0006: the same files, the journal cut after 0005. */
function migrationsBefore0006(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'rapport-migrations-'))
  cpSync(MIGRATIONS_DIR, dir, { recursive: true })
  const journalPath = join(dir, 'meta', '_journal.json')
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { tag: string }[] }
  journal.entries = journal.entries.filter((e) => e.tag < '0006')
  writeFileSync(journalPath, JSON.stringify(journal))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

async function migrateWith(database: Database, migrationsFolder: string) {
  if (database.kind === 'pglite') {
    const { migrate } = await import('drizzle-orm/pglite/migrator')
    await migrate(database.db as never, { migrationsFolder })
  } else {
    const { migrate } = await import('drizzle-orm/node-postgres/migrator')
    await migrate(database.db as never, { migrationsFolder })
  }
}

/** An empty database (no migration applied), dropped in teardown. */
async function blankDatabase(t: Test): Promise<Database> {
  const serverUrl = process.env.DATABASE_URL
  if (!serverUrl) {
    const database = await openDatabase({ dataDir: 'memory://' })
    t.teardown(() => database.close())
    return database
  }
  const { database, drop } = await emptyServerDatabase(serverUrl, 2)
  t.teardown(drop)
  return database
}

t.test('migration 0006 derives links, logs assignments across the wall and keeps one account per person', async (t) => {
  const database = await blankDatabase(t)
  const before = migrationsBefore0006()
  t.teardown(before.remove)
  await migrateWith(database, before.dir)
  const { db } = database
  const id = () => randomUUID()
  const [orgA, orgB, orgC, rubric, version, progP, progQ, cohortP, cohortQ] = [id(), id(), id(), id(), id(), id(), id(), id(), id()]
  const [tA, tB, tGone, tLoose, sA, sB] = [id(), id(), id(), id(), id(), id()]
  const [ok1, across, ok2, looseOk, looseAcross] = [id(), id(), id(), id(), id()]
  const [supOld, supNew, trOld, trWithPassword] = [id(), id(), id(), id()]
  await db.execute(sql`insert into organizations (id, name) values (${orgA}, 'A'), (${orgB}, 'B'), (${orgC}, 'C')`)
  await db.execute(sql`insert into rubrics (id, key) values (${rubric}, 'migration-test')`)
  await db.execute(sql`insert into rubric_versions (id, rubric_id, version, status, title, definition, content_hash, published_at)
    values (${version}, ${rubric}, 1, 'published', 'M', '{}'::jsonb, 'h', now())`)
  await db.execute(sql`insert into programs (id, name, rubric_version_id) values (${progP}, 'P', ${version}), (${progQ}, 'Q', ${version})`)
  await db.execute(sql`insert into cohorts (id, program_id, name) values (${cohortP}, ${progP}, 'p'), (${cohortQ}, ${progQ}, 'q')`)
  await db.execute(sql`insert into trainees (id, organization_id, cohort_id, name, email, active) values
    (${tA}, ${orgA}, ${cohortP}, 'tA', 'a@x', true), (${tB}, ${orgB}, ${cohortQ}, 'tB', 'b@x', true),
    (${tGone}, ${orgC}, ${cohortP}, 'gone', 'c@x', false), (${tLoose}, ${orgA}, null, 'loose', 'l@x', true)`)
  await db.execute(sql`insert into supervisors (id, organization_id, name, email) values (${sA}, ${orgA}, 'sA', 'sa@x'), (${sB}, ${orgB}, 'sB', 'sb@x')`)
  await db.execute(sql`insert into assignments (id, supervisor_id, trainee_id, starts_on) values
    (${ok1}, ${sA}, ${tA}, '2020-01-01'), (${across}, ${sB}, ${tA}, '2020-01-01'), (${ok2}, ${sB}, ${tB}, '2020-01-01'),
    (${looseOk}, ${sA}, ${tLoose}, '2020-01-01'), (${looseAcross}, ${sB}, ${tLoose}, '2020-01-01')`)
  await db.execute(sql`insert into accounts (id, role, name, supervisor_id, trainee_id, active, password_hash, created_at) values
    (${supOld}, 'supervisor', 'old', ${sA}, null, false, null, '2024-01-01'), (${supNew}, 'supervisor', 'new', ${sA}, null, true, null, '2025-01-01'),
    (${trOld}, 'trainee', 'first', null, ${tA}, true, null, '2024-01-01'), (${trWithPassword}, 'trainee', 'second', null, ${tA}, true, 'hash', '2025-01-01')`)
  await db.execute(sql`insert into web_sessions (token_hash, account_id, csrf_token, expires_at) values ('s1', ${trOld}, 'c', now() + interval '1 hour')`)

  await migrateWith(database, MIGRATIONS_DIR)
  const rows = <T = Record<string, unknown>>(query: ReturnType<typeof sql>) => rowsIn<T>(db, query)

  const links = await rows<{ program_id: string; organization_id: string }>(sql`select program_id, organization_id from program_organizations`)
  t.same(links.map((l) => `${l.program_id}/${l.organization_id}`).sort(), [`${progP}/${orgA}`, `${progP}/${orgC}`, `${progQ}/${orgB}`].sort(),
    'one link per programme and organization of a placed trainee (deactivated ones too); none from assignments')

  const logged = await rows<{ object_id: string; actor_account_id: string | null; changes: Record<string, unknown> }>(
    sql`select object_id, actor_account_id, changes from audit_events where action = 'assignment.outside_tenancy'`)
  t.same(logged.map((e) => e.object_id).sort(), [across, looseAcross].sort(), 'exactly the assignments the new rules refuse')
  t.ok(logged.every((e) => e.actor_account_id === null), 'written by the system')
  t.match(logged.find((e) => e.object_id === across)?.changes, { supervisorId: sB, traineeId: tA, programId: progP, supervisorOrganizationId: orgB })
  t.same((await rows<{ n: number }>(sql`select count(*)::int as n from assignments`))[0]?.n, 5, 'no assignment is changed or removed')

  const accounts = await rows<{ id: string; supervisor_id: string | null; trainee_id: string | null; active: boolean }>(
    sql`select id, supervisor_id, trainee_id, active from accounts order by created_at, id`)
  const byId = new Map(accounts.map((a) => [a.id, a]))
  t.equal(accounts.length, 4, 'no account row is deleted')
  t.match(byId.get(supNew), { supervisor_id: sA, active: true }, 'the active account is kept')
  t.match(byId.get(supOld), { supervisor_id: null, active: false }, 'the other is unlinked')
  t.match(byId.get(trWithPassword), { trainee_id: tA, active: true }, 'of two active ones, the one with a password is kept')
  t.match(byId.get(trOld), { trainee_id: null, active: false }, 'the other is deactivated and unlinked')
  const unlinked = await rows<{ object_id: string; changes: Record<string, unknown> }>(
    sql`select object_id, changes from audit_events where action = 'account.unlink_duplicate' order by object_id`)
  t.same(unlinked.map((e) => e.object_id).sort(), [supOld, trOld].sort())
  t.match(unlinked.find((e) => e.object_id === trOld)?.changes, { traineeId: { from: tA, to: null }, active: { from: true, to: false }, keptAccountId: trWithPassword },
    'the former link and the kept account are on record')
  t.same(await rows(sql`select token_hash from web_sessions where account_id = ${trOld}`), [], 'its sessions ended')

  await t.rejects(db.execute(sql`insert into accounts (role, name, trainee_id) values ('trainee', 'third', ${tA})`), 'one account per person from now on')
  await t.rejects(db.execute(sql`update accounts set active = true where id = ${trOld}`), 'an unlinked account cannot become active again')
})
