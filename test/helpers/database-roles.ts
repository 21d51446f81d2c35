import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import pg from 'pg'
import { ROOT, type CliResult } from './rubrics.ts'

export interface ScratchRoles {
  /** The scratch database's name (rapport_test_…, so CI's clean-up finds a leftover). */
  name: string
  owner: string
  runtime: string
  ownerUrl: string
  runtimeUrl: string
  /** The scratch database as the server URL's user (the machine's superuser). */
  superUrl: string
  drop(): Promise<void>
}

/** Runs a script of the project as a separate process with exactly these variables besides PATH and HOME. */
export function runScript(command: string, args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeout: 100_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }))
  })
}

/** The server's URL, for another database and (when given) another user. */
const urlOf = (server: URL, database: string, user?: { name: string; password: string }): string => {
  const copy = new URL(server)
  copy.pathname = `/${database}`
  if (user) {
    copy.username = user.name
    copy.password = user.password
  }
  return copy.toString()
}

/**
 * A scratch database with the two roles production uses, created by the very script the
 * docker-compose setup runs (docker/postgres-init), under names unique to this run: roles are
 * cluster-wide. Needs a superuser in `serverUrl`, psql and bash (the server trusts local logins).
 */
export async function scratchRoles(serverUrl: string): Promise<ScratchRoles> {
  const name = `rapport_test_${randomBytes(6).toString('hex')}`
  const [owner, runtime] = [`${name}_owner`, `${name}_app`]
  const [ownerPassword, runtimePassword] = [randomBytes(9).toString('hex'), randomBytes(9).toString('hex')]
  const server = new URL(serverUrl)
  const admin = async (statements: string[]) => {
    const c = new pg.Client({ connectionString: serverUrl })
    await c.connect()
    try { for (const s of statements) await c.query(s) } finally { await c.end() }
  }
  await admin([`create database ${name}`])
  const init = await runScript('bash', [join(ROOT, 'docker/postgres-init/10-rapport-roles.sh')], {
    PGHOST: server.hostname, PGPORT: server.port || '5432', PGPASSWORD: decodeURIComponent(server.password),
    POSTGRES_USER: decodeURIComponent(server.username) || 'postgres', POSTGRES_DB: name,
    RAPPORT_OWNER: owner, RAPPORT_APP: runtime, RAPPORT_OWNER_PASSWORD: ownerPassword, RAPPORT_APP_PASSWORD: runtimePassword
  })
  const drop = () => admin([`drop database if exists ${name} with (force)`, `drop role if exists ${owner}`, `drop role if exists ${runtime}`])
  if (init.code !== 0) {
    await drop()
    throw new Error(`docker/postgres-init failed: ${init.stderr}`)
  }
  return {
    name, owner, runtime,
    ownerUrl: urlOf(server, name, { name: owner, password: ownerPassword }),
    runtimeUrl: urlOf(server, name, { name: runtime, password: runtimePassword }),
    superUrl: urlOf(server, name),
    drop
  }
}
