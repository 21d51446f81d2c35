import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { stringify } from 'yaml'
import type { RubricDefinition } from '../../src/modules/rubrics/rubric-schemas.ts'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const SHIPPED_RUBRICS_DIR = join(ROOT, 'rubrics')

/** A temporary directory holding the given files (name -> content), removed in teardown. */
export function rubricDir(t: Test, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'rapport-rubrics-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content)
  return dir
}

/** A rubric file as authors write it: the key, then the definition's fields at the top level. */
export const rubricYaml = (key: string, definition: RubricDefinition): string => stringify({ key, ...definition })

/** A deep copy to edit in a test without touching the shared fixture. */
export const copy = <T>(value: T): T => structuredClone(value)

export interface CliResult { code: number | null; stdout: string; stderr: string }

/**
 * Runs `src/cli/import-rubrics.ts` as a separate process on its own embedded database in a
 * temporary directory (never on the server a DATABASE_URL names).
 */
export function runImportCli(t: Test, args: string[], dataDir = rubricDir(t)): Promise<CliResult> {
  const env: Record<string, string | undefined> = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent' }
  delete env.DATABASE_URL
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/import-rubrics.ts'), ...args], { cwd: ROOT, env, timeout: 100_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }))
  })
}
