import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs'
import { join } from 'node:path'

export class DataDirLockedError extends Error {}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * PGlite does not lock its data directory, and two processes writing it corrupt it. This takes an
 * exclusive lock file holding our pid; a lock left by a process that no longer runs is taken over.
 */
export function lockDataDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true })
  const file = join(dir, 'rapport.lock')
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx')
      writeSync(fd, String(process.pid))
      closeSync(fd)
      return () => rmSync(file, { force: true })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const pid = Number.parseInt(readFileSync(file, 'utf8'), 10)
      if (Number.isInteger(pid) && pid !== process.pid && isAlive(pid)) {
        throw new DataDirLockedError(
          `The data directory ${dir} is in use by another Rapport process (pid ${pid}). ` +
          'Stop that process, or set DATA_DIR to a different directory, or set DATABASE_URL to use a Postgres server.'
        )
      }
      if (pid === process.pid) {
        throw new DataDirLockedError(`The data directory ${dir} is already open in this process.`)
      }
      rmSync(file, { force: true })
    }
  }
  throw new DataDirLockedError(`Could not lock the data directory ${dir}.`)
}
