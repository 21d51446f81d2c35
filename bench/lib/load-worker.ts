import autocannon from 'autocannon'
import type { LoadJob, LoadResult } from './load.ts'
import { summarize } from './stats.ts'

/** Child process of runLoad: receives one LoadJob over IPC, runs it, sends back one LoadResult. */
async function run(job: LoadJob): Promise<LoadResult> {
  let firstFailure: LoadResult['firstFailure']
  const requests = job.requests.map((spec) => ({
    ...spec,
    onResponse: (status: number, body: string) => {
      if ((status < 200 || status >= 300) && !firstFailure) firstFailure = { status, body: String(body).slice(0, 2000) }
    }
  }))
  // Each connection starts at its own place in the list, so connections do not move in lock step.
  let nextClient = 0
  const step = Math.max(1, Math.floor(requests.length / job.connections))
  const latencies: number[] = []
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({
      url: job.origin,
      connections: job.connections,
      duration: job.durationSec,
      requests,
      setupClient: (client) => {
        const offset = (nextClient++ * step) % requests.length
        client.setRequests([...requests.slice(offset), ...requests.slice(0, offset)])
      }
    }, (err, done) => err ? reject(err) : resolve(done))
    instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => { latencies.push(responseTime) })
  })
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, s.count ?? 0]))
  const ok = result['2xx']
  return {
    responses: latencies.length,
    durationSec: result.duration,
    rps: ok / result.duration,
    bytesPerResponse: latencies.length > 0 ? result.throughput.total / latencies.length : 0,
    latencyMs: summarize(latencies),
    statusCodes,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    ...(firstFailure ? { firstFailure } : {})
  }
}

// The parent going away (Ctrl-C) ends this process too.
process.once('disconnect', () => process.exit(0))
process.once('message', (job: LoadJob) => {
  run(job).then(
    (result) => process.send!({ result }, () => process.exit(0)),
    (err: unknown) => process.send!({ error: (err as Error).stack ?? String(err) }, () => process.exit(1))
  )
})
