import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { buildApp } from '../app.ts'
import { loadConfig } from '../config.ts'
import { openDatabase } from '../db/client.ts'
import { renderOpenApi } from '../openapi.ts'

/** Writes openapi/openapi.json from the routes; a test fails when the committed file drifts. */
const config = loadConfig({ LOG_LEVEL: 'silent' })
const database = await openDatabase({ dataDir: 'memory://' })
const app = await buildApp({ config, database, logger: false })
await app.ready()
const target = fileURLToPath(new URL('../../openapi/openapi.json', import.meta.url))
writeFileSync(target, await renderOpenApi(app))
await app.close()
await database.close()
process.stdout.write(`wrote ${target}\n`)
