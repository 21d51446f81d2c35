import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'

/*
 * What the embedded database (PGlite, Postgres compiled to WASM) costs in memory, and why these settings
 * (measured on the built server, 2 cores, Node 20; README "Memory of the embedded database"):
 *
 * - Postgres's default shared_buffers of 128 MB lives in the WASM heap and is touched at start, so it is
 *   resident from the first second; 16 MB (2,048 pages) holds Rapport's working set of a small
 *   programme, and the operating system's page cache still serves the data files behind it.
 *   Second start: 361 MB RSS with 128 MB, about 170 MB with 16 MB.
 * - On a fresh data directory PGlite runs initdb in a second WASM instance, copies its files through
 *   ~300 MB of ArrayBuffers, then closes it; the garbage stays resident until V8 collects it (an idle
 *   server may never) and glibc keeps much of the freed heap even then. First start: 826 MB RSS.
 *   Running that one-time initdb in a short-lived child process returns all of it to the system.
 */
export const PGLITE_SHARED_BUFFERS = '16MB'

/** PGlite's own start parameters (replaced, not merged, by `startParams`) plus Rapport's memory bound. */
export function pgliteStartParams(defaults: readonly string[]): string[] {
  return [...defaults, '-c', `shared_buffers=${PGLITE_SHARED_BUFFERS}`]
}

// Plain ESM run by `node -e`, so it works the same from dist/ and from source under tsx.
const INITDB = `const [url, dir, params] = process.argv.slice(1)
const { PGlite } = await import(url)
await (await PGlite.create(dir, { startParams: JSON.parse(params) })).close()`

/**
 * Creates the cluster in `pgdata` (initdb) in a child process when it does not exist yet, so the
 * first start's memory is the child's and leaves with it; PGlite then finds the cluster and resumes.
 */
export async function initPgliteDataDir(pgdata: string, startParams: string[]): Promise<void> {
  if (existsSync(join(pgdata, 'PG_VERSION'))) return
  await promisify(execFile)(process.execPath, [
    '--input-type=module', '-e', INITDB, import.meta.resolve('@electric-sql/pglite'), pgdata, JSON.stringify(startParams)
  ])
}
