import { fork } from 'node:child_process'

/**
 * A load generator run in a child process, so it never shares the event loop of the server it
 * measures (both still share the machine's CPUs, equally for every route measured). The child gets
 * `job` and answers `{result}` or `{error}`; any other message goes to `onMessage`. Only loopback
 * origins are allowed: benchmarks never send load off this machine.
 */
export function runInChild<R>(worker: string, origin: string, job: unknown, limitSec: number, onMessage?: (message: Record<string, unknown>) => void): Promise<R> {
  const { hostname, host } = new URL(origin)
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(hostname)) {
    return Promise.reject(new Error(`refusing to send load to ${host}: benchmarks only target this machine`))
  }
  return new Promise((resolve, reject) => {
    const child = fork(worker, { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    let settled = false
    const finish = (fn: () => void) => {
      if (settled) return
      settled = true
      clearTimeout(guard)
      fn()
    }
    const guard = setTimeout(() => {
      child.kill('SIGKILL')
      finish(() => reject(new Error(`load generator did not finish within ${limitSec} s`)))
    }, limitSec * 1000)
    child.on('message', (message: { result?: R; error?: string } & Record<string, unknown>) => {
      if (message.result === undefined && message.error === undefined) return onMessage?.(message)
      finish(() => message.result !== undefined ? resolve(message.result) : reject(new Error(`load generator failed: ${message.error}`)))
    })
    child.once('error', (err) => finish(() => reject(err)))
    child.once('exit', (code) => finish(() => reject(new Error(`load generator exited (${code}) without a result`))))
    child.send(job as object)
  })
}
