import type { ChildProcess } from 'node:child_process'
import { BenchFailure } from './lib/benchmark.ts'
import type { LoadResult } from './lib/load.ts'

/** Talking to the service under test (through its preloaded loop probe) and judging its answers. */

/** Sends `message` to the child and waits for the answer that carries `key`. */
export async function ask<T>(child: ChildProcess, message: string, key: string): Promise<T> {
  const answer = new Promise<T>((resolve) => {
    const onMessage = (m: Record<string, unknown>) => {
      if (!(key in m)) return
      child.off('message', onMessage)
      resolve(m as T)
    }
    child.on('message', onMessage)
  })
  child.send(message)
  return answer
}

export function assertClean(result: LoadResult, phase: string): void {
  if (result.non2xx === 0 && result.errors === 0) return
  const failure = result.firstFailure ? `\nfirst failing answer (${result.firstFailure.status}): ${result.firstFailure.body}` : ''
  throw new BenchFailure(`report.pdf during ${phase}: ${result.non2xx} non-2xx responses, ${result.errors} connection errors; ` +
    `status codes ${JSON.stringify(result.statusCodes)}. Nothing measured this way means anything.${failure}`)
}
