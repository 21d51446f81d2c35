import t from 'tap'
import type { Test } from 'tap'
import pg from 'pg'
import { buildApp } from '../src/app.ts'
import { ensureAdmin } from '../src/bootstrap.ts'
import { ConfigError, loadConfig } from '../src/config.ts'
import { openDatabase } from '../src/db/client.ts'
import { powerOverGuards } from '../src/db/roles.ts'
import { testRubric } from './fixtures/rubric.ts'
import { ADMIN_KEY, SIGNING_KEY_PEM, client, type Client } from './helpers/app.ts'
import { scratchRoles, type ScratchRoles } from './helpers/database-roles.ts'
import { makeWorld } from './helpers/factories.ts'
import { completeScores, createObservation, ifMatch } from './helpers/observations.ts'

/**
 * The database defends its history against the service itself: on a Postgres server with two
 * roles (docker/postgres-init's, MIGRATION_DATABASE_URL set), the service's role writes through the
 * API but cannot rewrite audit rows, observation revisions or published rubric versions, nor
 * switch off the triggers that guard them. The embedded database has a single role.
 */
t.test('MIGRATION_DATABASE_URL without a Postgres server is refused: the embedded database has one role', async (t) => {
  t.throws(() => loadConfig({ MIGRATION_DATABASE_URL: 'postgres://owner@localhost/rapport' }),
    new ConfigError('Invalid configuration:\n  MIGRATION_DATABASE_URL: needs DATABASE_URL (the embedded database has a single role)'))
  await t.rejects(openDatabase({ dataDir: 'memory://', migrationUrl: 'postgres://owner@localhost/rapport' }), /needs a Postgres server URL/)
})

/** What a guarded table holds, its triggers and its owner, as the superuser sees them. */
async function snapshot(su: pg.Client, table: string) {
  const content = await su.query<{ n: number; digest: string }>(
    `select count(*)::int as n, md5(coalesce(string_agg(x::text, '|' order by x::text), '')) as digest from ${table} x`)
  const triggers = await su.query<{ name: string; enabled: string }>(
    'select tgname as name, tgenabled as enabled from pg_trigger where tgrelid = $1::regclass and not tgisinternal order by 1', [table])
  const owner = await su.query<{ owner: string }>('select pg_get_userbyid(relowner) as owner from pg_class where oid = $1::regclass', [table])
  return { ...content.rows[0]!, triggers: triggers.rows, owner: owner.rows[0]!.owner }
}

/** The SQLSTATE a statement fails with; undefined if it succeeded. */
async function failure(c: pg.Client, statement: string): Promise<string | undefined> {
  try {
    await c.query(statement)
    return undefined
  } catch (err) {
    return (err as { code?: string }).code
  }
}

const ok = (t: Test, res: { statusCode: number; body: string }, status: number, what: string) => t.equal(res.statusCode, status, `${what} (${res.body.slice(0, 200)})`)

/** Real writes through the API, so audit rows, revisions, a published rubric version and a revoked certificate exist. */
async function writeThroughApi(t: Test, admin: Client, as: (key: string) => Client, world: Awaited<ReturnType<typeof makeWorld>>) {
  ok(t, await admin.post('/v1/organizations', { body: { name: 'St Luke\'s Hospice' } }), 201, 'an organization is created')
  ok(t, await admin.post('/v1/rubrics', { body: { key: 'listening', definition: testRubric } }), 201, 'a rubric draft is created')
  ok(t, await admin.patch('/v1/rubrics/listening/versions/1', { body: { definition: { ...testRubric, title: 'Listening' } } }), 200, 'the draft is edited')
  ok(t, await admin.post('/v1/rubrics/listening/versions/1/publish'), 200, 'and published')

  const supervisor = as(world.keys.supervisor)
  const draft = await createObservation(supervisor, world.trainee.id, { scores: completeScores().slice(0, 1) })
  const saved = await supervisor.patch(`/v1/observations/${draft.json().id}`, { headers: ifMatch(draft), body: { scores: completeScores() } })
  ok(t, saved, 200, 'a draft observation is saved')
  const submitted = await supervisor.post(`/v1/observations/${draft.json().id}/submit`, { headers: ifMatch(saved) })
  ok(t, submitted, 200, 'and submitted')
  ok(t, await as(world.keys.trainee).post(`/v1/observations/${draft.json().id}/acknowledge`, { headers: ifMatch(submitted), body: {} }), 200, 'and acknowledged')

  const coordinator = as(world.keys.coordinator)
  const rulesUrl = `/v1/programs/${world.program.id}/eligibility-rules`
  const rules = await coordinator.get(rulesUrl)
  ok(t, await coordinator.put(rulesUrl, { headers: ifMatch(rules), body: { rules: [{ kind: 'minObservations', count: 1 }] } }), 200, 'eligibility rules are set')
  const issued = await coordinator.post('/v1/certificates', { body: { traineeId: world.trainee.id } })
  ok(t, issued, 201, 'a certificate is issued')
  const current = await coordinator.get(`/v1/certificates/${issued.json().id}`)
  ok(t, await coordinator.post(`/v1/certificates/${issued.json().id}/revoke`, { headers: ifMatch(current), body: { reason: 'Issued in error' } }), 200, 'and revoked')
}

/** Every table's privileges for the service's role, as has_table_privilege answers. */
async function privileges(su: pg.Client, role: string): Promise<Record<string, string>> {
  const found = await su.query<{ name: string; granted: string }>(`
    select c.relname as name, concat_ws(',', variadic array(select p from unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p
      where has_table_privilege($1, c.oid, p))) as granted
    from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') order by 1`, [role])
  return Object.fromEntries(found.rows.map((r) => [r.name, r.granted]))
}

const APPEND_ONLY = ['audit_events', 'eligibility_rule_sets', 'observation_revisions']
const NEVER_DELETED = ['certificates', 'rubric_versions', 'webhook_endpoints']
const expectedPrivileges = (tables: string[]) => Object.fromEntries(tables.map((name) => [name,
  APPEND_ONLY.includes(name) ? 'SELECT,INSERT' : NEVER_DELETED.includes(name) ? 'SELECT,INSERT,UPDATE' : 'SELECT,INSERT,UPDATE,DELETE']))

const serverUrl = process.env.DATABASE_URL
if (serverUrl) {
  t.test('the service\'s role cannot tamper with history, by any means, while the service works', async (t) => {
    const roles: ScratchRoles = await scratchRoles(serverUrl)
    const database = await openDatabase({ url: roles.runtimeUrl, migrationUrl: roles.ownerUrl, poolMax: 5 })
    const su = new pg.Client({ connectionString: roles.superUrl })
    const runtime = new pg.Client({ connectionString: roles.runtimeUrl })
    const config = loadConfig({ LOG_LEVEL: 'silent', LOAD_RUBRICS_ON_START: 'false', ADMIN_API_KEY: ADMIN_KEY, CREDENTIAL_SIGNING_KEY: SIGNING_KEY_PEM, DATABASE_URL: roles.runtimeUrl, MIGRATION_DATABASE_URL: roles.ownerUrl })
    const app = await buildApp({ config, database, logger: false })
    t.teardown(async () => {
      await app.close()
      await Promise.allSettled([su.end(), runtime.end()])
      await database.close()
      await roles.drop()
    })
    await database.migrate()
    await database.migrate()
    await Promise.all([su.connect(), runtime.connect()])
    await ensureAdmin(database.db, ADMIN_KEY)
    await app.ready()
    const as = (key: string) => client(app, key)
    const admin = as(ADMIN_KEY)

    await t.test('writes through the API succeed on the service\'s role', async (t) => {
      await writeThroughApi(t, admin, as, await makeWorld(database.db))
    })

    await t.test('the service\'s role has exactly its privileges, and no power over the guards', async (t) => {
      const granted = await privileges(su, roles.runtime)
      t.same(granted, expectedPrivileges(Object.keys(granted)), 'rows only: no TRUNCATE, REFERENCES or TRIGGER anywhere; history is never rewritten')
      t.equal(await powerOverGuards(database.db), null, 'the start-up check finds nothing to warn about')
      for (const [url, power] of [[roles.superUrl, 'superuser'], [roles.ownerUrl, 'owner']] as const) {
        const other = await openDatabase({ url, poolMax: 1 })
        t.equal(await powerOverGuards(other.db), power, `but warns when DATABASE_URL is the ${power}`)
        await other.close()
      }
      const schema = await su.query<{ create: boolean; temp: boolean; db: boolean }>(`select has_schema_privilege($1, 'public', 'CREATE') as create,
        has_database_privilege($1, current_database(), 'TEMP') as temp, has_database_privilege($1, current_database(), 'CREATE') as db`, [roles.runtime])
      t.same(schema.rows[0], { create: false, temp: false, db: false }, 'and creates nothing: no table, function, temporary table or schema')
    })

    const guarded = [
      { table: 'audit_events', trigger: 'audit_events_append_only', update: 'update audit_events set action = action', updateRefusal: '42501' },
      { table: 'observation_revisions', trigger: 'observation_revisions_append_only', update: 'update observation_revisions set revision = revision', updateRefusal: '42501' },
      // The service edits drafts, so it may UPDATE rubric versions: the trigger freezes the published ones.
      { table: 'rubric_versions', trigger: 'rubric_versions_immutable', update: 'update rubric_versions set title = \'Forged\' where status = \'published\'', updateRefusal: '23001' }
    ]
    await t.test('audit rows, revisions and published rubric versions resist every means', async (t) => {
      const before: Record<string, Awaited<ReturnType<typeof snapshot>>> = {}
      for (const g of guarded) before[g.table] = await snapshot(su, g.table)
      for (const g of guarded) t.ok(before[g.table]!.n > 0, `${g.table} has rows to protect`)
      const published = await su.query<{ n: number }>('select count(*)::int as n from rubric_versions where status = \'published\'')
      t.ok(published.rows[0]!.n > 0, 'including a published rubric version')

      for (const g of guarded) {
        const attempts: Array<[string, string, string]> = [
          ['UPDATE', g.update, g.updateRefusal],
          ['DELETE', `delete from ${g.table}`, '42501'],
          ['TRUNCATE', `truncate ${g.table}`, '42501'],
          ['ALTER TABLE … DISABLE TRIGGER ALL', `alter table ${g.table} disable trigger all`, '42501'],
          ['ALTER TABLE … DISABLE TRIGGER', `alter table ${g.table} disable trigger ${g.trigger}`, '42501'],
          ['DROP TRIGGER', `drop trigger ${g.trigger} on ${g.table}`, '42501'],
          ['ALTER TABLE … OWNER', `alter table ${g.table} owner to ${roles.runtime}`, '42501'],
          ['DROP TABLE', `drop table ${g.table} cascade`, '42501'],
          ['CREATE TRIGGER', `create trigger forged before update or delete on ${g.table} for each row execute function suppress_redundant_updates_trigger()`, '42501']
        ]
        for (const [means, statement, code] of attempts) t.equal(await failure(runtime, statement), code, `${means} on ${g.table} is refused (${code})`)
      }
      t.equal(await failure(runtime, 'set session_replication_role = replica'), '42501', 'SET session_replication_role = replica is refused')
      t.equal(await failure(runtime, 'select set_config(\'session_replication_role\', \'replica\', false)'), '42501', 'and so is set_config()')
      await runtime.query('begin')
      t.equal(await failure(runtime, 'set local session_replication_role = replica'), '42501', 'and SET LOCAL in a transaction')
      await runtime.query('rollback')
      t.equal((await runtime.query<{ session_replication_role: string }>('show session_replication_role')).rows[0]?.session_replication_role, 'origin', 'triggers still fire for the service')

      for (const g of guarded) t.same(await snapshot(su, g.table), before[g.table], `${g.table}: rows, triggers and owner unchanged`)
    })

    await t.test('the service still writes after every attempt', async (t) => {
      const audits = async () => (await su.query<{ n: number }>('select count(*)::int as n from audit_events')).rows[0]!.n
      const count = await audits()
      ok(t, await admin.post('/v1/organizations', { body: { name: 'After the attempts' } }), 201, 'an organization is created')
      t.equal(await audits(), count + 1, 'and audited')
    })

    await t.test('tables a later migration adds are granted at the next migration run, append-only ones as such', async (t) => {
      const owner = new pg.Client({ connectionString: roles.ownerUrl })
      await owner.connect()
      try {
        await owner.query('create table later_rows (id int)')
        await owner.query('create table later_history (id int)')
        await owner.query('create trigger later_history_append_only before update or delete on later_history for each row execute function rapport_reject_change()')
      } finally {
        await owner.end()
      }
      t.equal(await failure(runtime, 'select * from later_rows'), '42501', 'a table is closed to the service until granted')
      await database.migrate()
      const granted = await privileges(su, roles.runtime)
      t.same([granted.later_rows, granted.later_history], ['SELECT,INSERT,UPDATE,DELETE', 'SELECT,INSERT'], 'then open to it, rows only')
    })
  })
}
