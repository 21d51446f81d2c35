import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { BenchFailure } from './lib/benchmark.ts'
import { deferCleanup } from './lib/cleanup.ts'
import type { LoadResult } from './lib/load.ts'

/** The benchmark's side of report-render-server.ts: start it, ask it things, judge its answers. */
const SERVER = fileURLToPath(new URL('./report-render-server.ts', import.meta.url))

export interface Server { child: ChildProcess; origin: string; startRssMb: number; renderWorkers: number }

export async function startServer(url: string, poolMax: number): Promise<Server> {
  const child = fork(SERVER, [url, String(poolMax)], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  deferCleanup(() => { if (child.exitCode === null) child.kill() })
  const [message] = await Promise.race([
    once(child, 'message') as Promise<[{ origin: string; rssMb: number; renderWorkers: number }]>,
    once(child, 'exit').then(() => { throw new BenchFailure('the Rapport server exited before listening') })
  ])
  return { child, origin: message.origin, startRssMb: message.rssMb, renderWorkers: message.renderWorkers }
}

/** Sends `message` to the server and waits for the answer that carries `key`. */
export async function ask<T>(server: Server, message: string, key: string): Promise<T> {
  const answer = new Promise<T>((resolve) => {
    const onMessage = (m: Record<string, unknown>) => {
      if (!(key in m)) return
      server.child.off('message', onMessage)
      resolve(m as T)
    }
    server.child.on('message', onMessage)
  })
  server.child.send(message)
  return answer
}

export function assertClean(result: LoadResult, phase: string): void {
  if (result.non2xx === 0 && result.errors === 0) return
  const failure = result.firstFailure ? `\nfirst failing answer (${result.firstFailure.status}): ${result.firstFailure.body}` : ''
  throw new BenchFailure(`report.pdf during ${phase}: ${result.non2xx} non-2xx responses, ${result.errors} connection errors; ` +
    `status codes ${JSON.stringify(result.statusCodes)}. Nothing measured this way means anything.${failure}`)
}

