import { sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/node-postgres'
import { migrate } from 'drizzle-orm/node-postgres/migrator'
import pg from 'pg'
import type { Db } from './client.ts'
import { rows } from './rows.ts'

/**
 * Two roles on a Postgres server: the migration owner owns the schema and runs the migrations; the
 * service's runtime role (DATABASE_URL's user) only reads and writes rows. The guards the
 * migrations install (append-only and immutability triggers) then hold against the service
 * itself: only a table's owner or a superuser can disable or drop a trigger, and only a superuser
 * can set session_replication_role.
 */

/** The schema the migrations create everything in. */
const SCHEMA = 'public'

/**
 * Tables the service updates but never deletes from: a rubric draft is edited and published, a
 * certificate revoked; their triggers refuse every other change.
 */
const NEVER_DELETED = ['rubric_versions', 'certificates', 'webhook_endpoints']

/** A setup the grants cannot be made in; the message says what to change. */
export class DatabaseRolesError extends Error {}

/**
 * Applies the migrations as the owner, then grants `runtimeRole` what the service needs. One
 * instance at a time: two starting together would otherwise apply the same migration twice.
 */
export async function migrateAsOwner(ownerUrl: string, runtimeRole: string, migrationsFolder: string): Promise<void> {
  const client = new pg.Client({ connectionString: ownerUrl })
  await client.connect()
  try {
    await client.query(`select pg_advisory_lock(hashtext('rapport.migrate'))`)
    await assertOwnsSchema(client, runtimeRole)
    await migrate(drizzle({ client }), { migrationsFolder })
    await grantRuntimePrivileges(client, runtimeRole)
  } finally {
    await client.end()
  }
}

/**
 * The two roles must differ, and the owner must own what is already in the schema (a database
 * migrated by a single role belongs to that role): a GRANT on an object it does not own only warns.
 */
async function assertOwnsSchema(owner: pg.Client, runtimeRole: string): Promise<void> {
  const me = (await owner.query<{ name: string }>('select current_user as name')).rows[0]!.name
  if (me === runtimeRole) {
    throw new DatabaseRolesError(`MIGRATION_DATABASE_URL and DATABASE_URL both connect as ${me}: the service needs a role of its own`)
  }
  const foreign = await owner.query<{ name: string; owner: string }>(`
    select c.relname as name, pg_get_userbyid(c.relowner) as owner from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = $1 and c.relkind in ('r', 'p', 'S', 'v', 'm') and not pg_has_role(c.relowner, 'USAGE') order by 1`, [SCHEMA])
  if (foreign.rows.length > 0) {
    const owners = [...new Set(foreign.rows.map((r) => r.owner))]
    throw new DatabaseRolesError(`${foreign.rows.map((r) => r.name).join(', ')} in schema ${SCHEMA} belong to ${owners.join(', ')}, not to the migration role ${me}; `
      + `as a superuser, run ${owners.map((o) => `REASSIGN OWNED BY ${o} TO ${me}`).join('; ')} in this database`)
  }
}

/**
 * Sets the runtime role's privileges from scratch, after every migration run, so tables added by
 * any migration are covered and nothing granted by hand lingers: SELECT, INSERT, UPDATE and DELETE
 * on every table of the schema, less UPDATE and DELETE on the append-only tables and DELETE on
 * NEVER_DELETED; sequences to draw from; functions to call. Never TRUNCATE, REFERENCES or TRIGGER
 * (which would let it add a trigger), never anything in the migrations' own schema.
 */
async function grantRuntimePrivileges(owner: pg.Client, runtimeRole: string): Promise<void> {
  const append = await appendOnlyTables(owner)
  const neverDeleted = (await owner.query<{ name: string }>(`
    select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = $1 and c.relname = any($2)`, [SCHEMA, NEVER_DELETED])).rows.map((r) => r.name)

  const role = owner.escapeIdentifier(runtimeRole)
  const schema = owner.escapeIdentifier(SCHEMA)
  const list = (names: string[]) => names.map((n) => `${schema}.${owner.escapeIdentifier(n)}`).join(', ')
  const statements = [
    `revoke all on all tables in schema ${schema} from ${role}`,
    `revoke all on all sequences in schema ${schema} from ${role}`,
    `revoke create on schema ${schema} from ${role}`,
    `grant usage on schema ${schema} to ${role}`,
    `grant select, insert, update, delete on all tables in schema ${schema} to ${role}`,
    `grant usage, select on all sequences in schema ${schema} to ${role}`,
    `grant execute on all routines in schema ${schema} to ${role}`,
    ...(append.length > 0 ? [`revoke update, delete on ${list(append)} from ${role}`] : []),
    ...(neverDeleted.length > 0 ? [`revoke delete on ${list(neverDeleted)} from ${role}`] : [])
  ]
  // One transaction: the service's connections see the old privileges or the new, never none.
  await owner.query('begin')
  try {
    for (const statement of statements) await owner.query(statement)
    await owner.query('commit')
  } catch (err) {
    await owner.query('rollback')
    throw err
  }
}

/**
 * The append-only tables, as the migrations declare them: those whose UPDATE or DELETE a trigger
 * refuses with rapport_reject_change(). Read from the catalog so that a table a later migration
 * guards the same way is covered too.
 */
async function appendOnlyTables(owner: pg.Client): Promise<string[]> {
  const found = await owner.query<{ name: string }>(`
    select distinct c.relname as name from pg_trigger tg
    join pg_class c on c.oid = tg.tgrelid join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = $1 and tg.tgfoid = to_regproc($2) and tg.tgtype & (8 | 16) <> 0 order by 1`,
  [SCHEMA, `${SCHEMA}.rapport_reject_change`])
  return found.rows.map((r) => r.name)
}

/**
 * What the service's own role could do to the guards: as a superuser or an owner (or member of
 * the owning role) of the tables, it could switch their triggers off. Null when it could not.
 */
export async function powerOverGuards(db: Db): Promise<'superuser' | 'owner' | null> {
  const [found] = await rows<{ superuser: boolean; owner: boolean }>(db, sql`
    select r.rolsuper as superuser, exists (
      select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${SCHEMA} and c.relkind in ('r', 'p') and pg_has_role(c.relowner, 'MEMBER')
    ) as owner
    from pg_roles r where r.rolname = current_user`)
  return found?.superuser ? 'superuser' : found?.owner ? 'owner' : null
}
