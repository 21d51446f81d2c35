import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import type { Test } from 'tap'
import { sql } from 'drizzle-orm'
import pg from 'pg'
import { MIGRATIONS_DIR, openDatabase, type Database } from '../src/db/client.ts'
import { rows } from '../src/db/rows.ts'
import { runScript, scratchRoles } from './helpers/database-roles.ts'
import { ROOT } from './helpers/rubrics.ts'

/**
 * `npm run db:migrate` (src/cli/migrate.ts) and the start (src/server.ts), each run as its own process. Without MIGRATION_DATABASE_URL
 * one role does everything (development, and the embedded database); with it, the owner migrates
 * and grants the service's role its rows (test/database-roles.test.ts proves what that role then
 * cannot do).
 */
const serverUrl = process.env.DATABASE_URL
const MIGRATIONS = (JSON.parse(readFileSync(join(MIGRATIONS_DIR, 'meta/_journal.json'), 'utf8')) as { entries: unknown[] }).entries.length
const migrateCli = (env: Record<string, string>) =>
  runScript(process.execPath, ['--import', 'tsx', 'src/cli/migrate.ts'], { LOG_LEVEL: 'silent', ...env })

/** Where the CLI migrates when only DATABASE_URL (or nothing) is set: a scratch database, or a data directory. */
async function singleRoleTarget(): Promise<{ env: Record<string, string>; open: () => Promise<Database>; drop: () => Promise<void> }> {
  if (!serverUrl) {
    const dir = mkdtempSync(join(tmpdir(), 'rapport-migrate-'))
    return { env: { DATA_DIR: dir }, open: () => openDatabase({ dataDir: dir }), drop: async () => rmSync(dir, { recursive: true, force: true }) }
  }
  const name = `rapport_test_${randomBytes(6).toString('hex')}`
  const admin = async (statement: string) => {
    const c = new pg.Client({ connectionString: serverUrl })
    await c.connect()
    try { await c.query(statement) } finally { await c.end() }
  }
  await admin(`create database ${name}`)
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return {
    env: { DATABASE_URL: url.toString() },
    open: () => openDatabase({ url: url.toString(), poolMax: 1 }),
    drop: () => admin(`drop database if exists ${name} with (force)`)
  }
}

t.test('without MIGRATION_DATABASE_URL, npm run db:migrate applies every migration as the one role it has', async (t) => {
  const target = await singleRoleTarget()
  t.teardown(target.drop)
  const res = await migrateCli(target.env)
  t.equal(res.code, 0, res.stderr)
  t.match(res.stdout, /^Migrations applied to (postgres|pglite) at .+\n$/)
  t.notMatch(res.stdout, /MIGRATION_DATABASE_URL/, 'no second role is mentioned')
  const database = await target.open()
  try {
    const [applied] = await rows<{ n: number }>(database.db, sql`select count(*)::int as n from drizzle.__drizzle_migrations`)
    t.equal(applied?.n, MIGRATIONS, 'every migration of the journal is recorded')
    const [tables] = await rows<{ mine: number; total: number }>(database.db, sql`
      select count(*) filter (where tableowner = current_user)::int as mine, count(*)::int as total from pg_tables where schemaname = 'public'`)
    t.ok(tables!.total > 10, 'the tables exist')
    t.equal(tables!.mine, tables!.total, 'and belong to the role that migrated them, the service\'s own')
  } finally {
    await database.close()
  }
})

if (serverUrl) {
  t.test('with MIGRATION_DATABASE_URL, npm run db:migrate migrates as that role and grants DATABASE_URL\'s role its rows', async (t) => {
    const roles = await scratchRoles(serverUrl)
    const su = new pg.Client({ connectionString: roles.superUrl })
    t.teardown(async () => {
      await su.end()
      await roles.drop()
    })
    const res = await migrateCli({ DATABASE_URL: roles.runtimeUrl, MIGRATION_DATABASE_URL: roles.ownerUrl })
    t.equal(res.code, 0, res.stderr)
    t.match(res.stdout, /by MIGRATION_DATABASE_URL's role; DATABASE_URL's role granted its privileges/)

    await su.connect()
    const owners = await su.query<{ owner: string; n: number }>(`
      select pg_get_userbyid(c.relowner) as owner, count(*)::int as n from pg_class c
      where c.relnamespace in ('public'::regnamespace, 'drizzle'::regnamespace) and c.relkind in ('r', 'S') group by 1`)
    t.same(owners.rows.map((r) => r.owner), [roles.owner], 'every table and sequence, the migrations\' own included, belongs to the owner')
    t.equal((await su.query<{ n: number }>('select count(*)::int as n from drizzle.__drizzle_migrations')).rows[0]?.n, MIGRATIONS, 'every migration is recorded')
    const can = async (object: string, privilege: string) =>
      (await su.query<{ ok: boolean }>('select has_table_privilege($1, $2, $3) as ok', [roles.runtime, object, privilege])).rows[0]?.ok
    t.equal(await can('public.audit_events', 'INSERT'), true, 'the service\'s role writes audit rows')
    t.equal(await can('public.audit_events', 'UPDATE'), false, 'but never rewrites them')
    t.equal(await can('drizzle.__drizzle_migrations', 'SELECT'), false, 'and has nothing in the migrations\' schema')

    const again = await migrateCli({ DATABASE_URL: roles.runtimeUrl, MIGRATION_DATABASE_URL: roles.ownerUrl })
    t.equal(again.code, 0, `a second run (nothing to apply) grants again: ${again.stderr}`)
    const same = await migrateCli({ DATABASE_URL: roles.runtimeUrl, MIGRATION_DATABASE_URL: roles.runtimeUrl })
    t.equal(same.code, 1, 'one role named twice is refused')
    t.match(same.stderr, `both connect as ${roles.runtime}: the service needs a role of its own`)
  })
}

/** `npm start` as its own process with exactly these variables (besides PATH and HOME); stopped in teardown. */
function startServer(t: Test, env: Record<string, string>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'rapport-start-'))
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env }
  })
  let out = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr.on('data', (d: Buffer) => { out += d.toString() })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  t.teardown(async () => {
    child.kill('SIGTERM')
    await exited
    rmSync(dataDir, { recursive: true, force: true })
  })
  const listening = async (): Promise<string> => {
    for (let i = 0; i < 600 && child.exitCode === null; i++) {
      const address = /listening on (http:\/\/\S+),/.exec(out)?.[1]
      if (address) return address
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    throw new Error(`the service did not start: ${out}`)
  }
  return { listening, output: () => out }
}

const WARNING = /could switch off the database's append-only guards/

if (serverUrl) {
  t.test('at start, MIGRATION_DATABASE_URL migrates; the service runs on its own role, and a superuser is warned about', async (t) => {
    const roles = await scratchRoles(serverUrl)
    const su = new pg.Client({ connectionString: roles.superUrl })
    t.teardown(async () => {
      await su.end()
      await roles.drop()
    })
    const split = startServer(t, { DATABASE_URL: roles.runtimeUrl, MIGRATION_DATABASE_URL: roles.ownerUrl })
    const address = await split.listening()
    t.equal((await fetch(`${address}/health/ready`)).status, 200, 'the service starts and is ready')
    await su.connect()
    const owners = await su.query<{ owner: string }>('select distinct tableowner as owner from pg_tables where schemaname = \'public\'')
    t.same(owners.rows, [{ owner: roles.owner }], 'the migrations ran as the owner')
    const rubrics = await su.query<{ n: number }>('select count(*)::int as n from rubric_versions where status = \'published\'')
    t.ok(rubrics.rows[0]!.n > 0, 'the service\'s role loaded the rubrics')
    t.notMatch(split.output(), WARNING, 'no warning: the service\'s role owns nothing')

    const single = startServer(t, { DATABASE_URL: roles.superUrl })
    await single.listening()
    t.match(single.output(), WARNING, 'one role for everything, a superuser here, is warned about')
    t.match(single.output(), /DATABASE_URL connects as a superuser/)
  })
}
