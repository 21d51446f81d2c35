/**
 * Validates rubric files and publishes the new or changed ones:
 *   npm run rubrics:import [-- <dir-or-file>...]     (default: RUBRICS_DIR)
 * Exits 1, importing nothing, when any file has a problem; every problem is listed.
 */
import { ConfigError, loadConfig } from '../config.ts'
import { databaseOptions, openDatabase } from '../db/client.ts'
import { DataDirLockedError } from '../db/lock.ts'
import { listRubricFiles, loadRubricFiles, RubricFilesInvalid } from '../modules/rubrics/rubric-files.ts'
import { importLoadedRubrics } from '../modules/rubrics/rubric-import.ts'

async function main(paths: string[]): Promise<number> {
  const config = loadConfig()
  // Files are checked before the database is opened: a bad file is reported even while the server holds it.
  const loaded = await loadRubricFiles(await listRubricFiles(paths.length > 0 ? paths : [config.RUBRICS_DIR]))
  const database = await openDatabase({ ...databaseOptions(config), migrationUrl: undefined, poolMax: 2 })
  try {
    await database.migrate()
    const results = await importLoadedRubrics(database.db, loaded)
    const width = Math.max(0, ...results.map((r) => r.key.length))
    for (const r of results) process.stdout.write(`${r.key.padEnd(width)}  v${r.version}  ${r.outcome}\n`)
    if (results.length === 0) process.stdout.write('No rubric files found.\n')
    return 0
  } finally {
    await database.close()
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code }, (err: unknown) => {
  const known = err instanceof RubricFilesInvalid || err instanceof DataDirLockedError || err instanceof ConfigError
  process.stderr.write(`${known ? (err as Error).message : (err as Error).stack ?? String(err)}\n`)
  process.exitCode = 1
})
