import { loadConfig } from '../config.ts'
import { openDatabase } from '../db/client.ts'

const config = loadConfig()
const database = await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR, poolMax: 2 })
try {
  await database.migrate()
  process.stdout.write(`Migrations applied to ${database.kind} at ${database.location}\n`)
} finally {
  await database.close()
}
