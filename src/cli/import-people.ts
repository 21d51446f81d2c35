/**
 * Imports an HR export (CSV, or JSON when the file ends in .json) into an organization's trainees
 * and supervisors, as POST /v1/organizations/{id}/people/imports does, and prints the report:
 *   npm run people:import -- --organization <id> [--dry-run] [--full-sync] [--json] <file>
 * It acts as the system (admin scope; audit rows without an actor, like rubric imports). Exits 1,
 * changing nothing, when any row has an error; every row is listed.
 */
import { createReadStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { ConfigError, loadConfig } from '../config.ts'
import { databaseOptions, openDatabase } from '../db/client.ts'
import { DataDirLockedError } from '../db/lock.ts'
import { AppError } from '../errors.ts'
import type { Principal } from '../lib/request-context.ts'
import { readCsv, readJson } from '../modules/imports/imports-parse.ts'
import type { ImportReportT } from '../modules/imports/imports-schemas.ts'
import { importPeople } from '../modules/imports/imports-service.ts'

const USAGE = 'usage: npm run people:import -- --organization <id> [--dry-run] [--full-sync] [--json] <file.csv|file.json>'

const SYSTEM: Principal = {
  accountId: '', apiKeyId: null, role: 'admin', name: 'people:import', supervisorId: null, traineeId: null, organizationId: null, programIds: []
}

function printReport(report: ImportReportT, json: boolean): void {
  if (json) { process.stdout.write(`${JSON.stringify(report, null, 2)}\n`); return }
  for (const r of report.rows) {
    const where = r.line === null ? '-' : String(r.line)
    process.stdout.write(`${where.padStart(6)}  ${r.action.padEnd(10)}  ${(r.role ?? '-').padEnd(10)}  ${(r.externalHrId ?? '-').padEnd(12)}  ${r.message}\n`)
  }
  const t = report.totals
  const state = report.applied ? 'applied' : report.dryRun ? 'dry run, nothing written' : 'NOT applied, nothing changed'
  process.stdout.write(`${t.rows} rows: ${t.create} create, ${t.update} update, ${t.unchanged} unchanged, ${t.deactivate} deactivate, ${t.error} error (${state})\n`)
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: { organization: { type: 'string' }, 'dry-run': { type: 'boolean', default: false }, 'full-sync': { type: 'boolean', default: false }, json: { type: 'boolean', default: false } }
  })
  const [file] = positionals
  if (!values.organization || file === undefined || positionals.length > 1) throw new ConfigError(USAGE)
  const isJson = file.toLowerCase().endsWith('.json')
  const source = isJson
    ? async () => {
        const body: unknown = JSON.parse(await readFile(file, 'utf8'))
        if (!Array.isArray(body)) throw new ConfigError(`${file}: a JSON import is an array of row objects`)
        return readJson(body as Array<Record<string, unknown>>)
      }
    : () => readCsv(createReadStream(file))
  const config = loadConfig()
  const database = await openDatabase({ ...databaseOptions(config), migrationUrl: undefined, poolMax: 2 })
  try {
    await database.migrate()
    const report = await importPeople(database.db, { principal: SYSTEM, actor: null }, values.organization, source,
      { dryRun: values['dry-run'], full: values['full-sync'], format: isJson ? 'json' : 'csv' })
    printReport(report, values.json)
    return 0
  } catch (err) {
    const report = err instanceof AppError ? (err.extensions?.report as ImportReportT | undefined) : undefined
    if (!report) throw err
    printReport(report, values.json)
    return 1
  } finally {
    await database.close()
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code }, (err: unknown) => {
  const known = err instanceof AppError || err instanceof DataDirLockedError || err instanceof ConfigError || err instanceof SyntaxError ||
    (err as { code?: string }).code === 'ENOENT'
  const message = err instanceof AppError ? `${err.code}: ${err.message}` : known ? (err as Error).message : (err as Error).stack ?? String(err)
  process.stderr.write(`${message}\n`)
  process.exitCode = 1
})
