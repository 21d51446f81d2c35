import { existsSync } from 'node:fs'
import { buildApp } from './app.ts'
import { ensureAdmin } from './bootstrap.ts'
import { ConfigError, loadConfig, type Config } from './config.ts'
import { databaseOptions, openDatabase } from './db/client.ts'
import { DataDirLockedError } from './db/lock.ts'
import { DatabaseRolesError, powerOverGuards } from './db/roles.ts'
import { importRubricDirectory } from './modules/rubrics/rubric-import.ts'
import { RubricFilesInvalid } from './modules/rubrics/rubric-files.ts'

async function main(config: Config): Promise<void> {
  const database = await openDatabase(databaseOptions(config))
  const app = await buildApp({ config, database })
  app.addHook('onClose', async () => { await database.close() })

  await database.migrate()
  const power = database.kind === 'postgres' ? await powerOverGuards(database.db) : null
  if (power) {
    app.log.warn(`DATABASE_URL connects as ${power === 'superuser' ? 'a superuser' : 'the owner of the tables'}, which could switch off the database's append-only guards: `
      + 'a development setup; in production give the service a role of its own and set MIGRATION_DATABASE_URL to the owner (README, Database roles)')
  }
  const admin = await ensureAdmin(database.db, config.ADMIN_API_KEY)
  if (admin.configuredKeyRevoked) {
    app.log.warn('ADMIN_API_KEY was revoked (or its account deactivated) and does not grant access; set a new key to regain access')
  }
  if (config.LOAD_RUBRICS_ON_START && !existsSync(config.RUBRICS_DIR)) {
    app.log.warn({ dir: config.RUBRICS_DIR }, 'RUBRICS_DIR does not exist; no rubric files loaded')
  } else if (config.LOAD_RUBRICS_ON_START) {
    for (const r of await importRubricDirectory(database.db, config.RUBRICS_DIR)) {
      app.log.info({ rubric: r.key, version: r.version, outcome: r.outcome }, `rubric ${r.key} v${r.version} ${r.outcome}`)
    }
  }

  let closing = false
  const shutdown = (signal: string) => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'shutting down: draining requests')
    const force = setTimeout(() => {
      app.log.error('shutdown timed out; exiting')
      process.exit(1)
    }, config.SHUTDOWN_TIMEOUT_MS)
    force.unref()
    app.close().then(() => process.exit(0), (err: unknown) => {
      app.log.error({ err }, 'error during shutdown')
      process.exit(1)
    })
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  process.on('SIGINT', () => shutdown('SIGINT'))

  // Read the credential signing key now: a bad one stops the start, a missing one is created and warned about.
  const signing = app.issuer.key()
  if (!signing.configured) {
    app.log.warn({ file: signing.file }, 'CREDENTIAL_SIGNING_KEY is not set: certificate credentials are signed with a key kept in DATA_DIR; configure one (and keep it safe) in production')
  }
  // The same for the key that encrypts stored secrets (two-factor sign-in).
  const secrets = app.identity.secrets()
  if (!secrets.configured) {
    app.log.warn({ file: secrets.file }, 'SECRETS_KEY is not set: two-factor secrets are encrypted with a key kept in DATA_DIR; configure one (and keep it safe, apart from database backups) in production')
  }
  const address = await app.listen({ port: config.PORT, host: config.HOST })
  const base = config.PUBLIC_BASE_URL.replace(/\/$/, '')
  if (admin.generatedAdminKey) {
    // Printed once, on purpose, to the terminal of whoever started the service the first time.
    process.stdout.write(`\nCreated the first admin API key (shown only now; store it safely):\n\n    ${admin.generatedAdminKey}\n\n`)
  }
  process.stdout.write(`Rapport is listening on ${address}, using ${database.kind === 'pglite' ? 'embedded Postgres in' : 'Postgres at'} ${database.location}\n`)
  process.stdout.write(`API docs: ${base}/docs   OpenAPI: ${base}/docs/json\n`)
}

let config: Config
try {
  config = loadConfig()
} catch (err) {
  process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`)
  process.exit(2)
}
main(config).catch((err: unknown) => {
  // Problems the operator can fix get their message alone; anything else its stack.
  const known = err instanceof DataDirLockedError || err instanceof RubricFilesInvalid || err instanceof DatabaseRolesError
  process.stderr.write(`Rapport could not start: ${known ? err.message : (err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
