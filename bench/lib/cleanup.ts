/**
 * Things to undo however the run ends (databases to drop, servers to close, child processes to
 * stop): run.ts calls runCleanups() after the benchmarks and on Ctrl-C.
 */
type Cleanup = () => Promise<void> | void

const pending: Cleanup[] = []

/** Registers an undo step; returns a function that runs it now (and only once). */
export function deferCleanup(fn: Cleanup): () => Promise<void> {
  let done = false
  const once: Cleanup = async () => {
    if (done) return
    done = true
    await fn()
  }
  pending.push(once)
  return async () => {
    const index = pending.indexOf(once)
    if (index >= 0) pending.splice(index, 1)
    await once()
  }
}

/** Runs every pending step, newest first; a failing step is reported and does not stop the rest. */
export async function runCleanups(): Promise<void> {
  while (pending.length > 0) {
    const fn = pending.pop()!
    try {
      await fn()
    } catch (err) {
      process.stderr.write(`cleanup failed: ${(err as Error).message}\n`)
    }
  }
}
