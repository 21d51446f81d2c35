import { loadConfig } from '../config.ts'
import { databaseOptions, openDatabase } from '../db/client.ts'
import { DatabaseRolesError } from '../db/roles.ts'

const config = loadConfig()
const database = await openDatabase({ ...databaseOptions(config), poolMax: 2 })
try {
  await database.migrate()
  const roles = config.MIGRATION_DATABASE_URL ? ' by MIGRATION_DATABASE_URL\'s role; DATABASE_URL\'s role granted its privileges' : ''
  process.stdout.write(`Migrations applied to ${database.kind} at ${database.location}${roles}\n`)
} catch (err) {
  if (!(err instanceof DatabaseRolesError)) throw err
  process.stderr.write(`${err.message}\n`)
  process.exitCode = 1
} finally {
  await database.close()
}
