import { Agent, request } from 'node:http'
import type { OnceJob, OnceResult } from './once-load.ts'
import { summarize } from './stats.ts'

/** One request on a kept-alive connection of the agent: status, body, and the time until its last byte. */
function send(agent: Agent, origin: URL, spec: OnceJob['requests'][number]): Promise<{ status: number; body: string; ms: number }> {
  const started = process.hrtime.bigint()
  return new Promise((resolve, reject) => {
    const req = request({
      agent, host: origin.hostname, port: origin.port, method: spec.method, path: spec.path,
      headers: { ...spec.headers, ...(spec.body === undefined ? {} : { 'content-length': Buffer.byteLength(spec.body) }) }
    }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: Number(process.hrtime.bigint() - started) / 1e6 }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(spec.body)
  })
}

/** Child process of runOnce: receives one OnceJob over IPC, sends back one OnceResult. */
async function run(job: OnceJob): Promise<OnceResult> {
  const origin = new URL(job.origin)
  // One socket per connection, reused: as autocannon's connections are.
  const agent = new Agent({ keepAlive: true, maxSockets: job.connections })
  const latencies: number[] = []
  const statusCodes: Record<string, number> = {}
  let next = 0
  let ok = 0
  let errors = 0
  let firstFailure: OnceResult['firstFailure']
  const connection = async () => {
    while (next < job.requests.length) {
      const spec = job.requests[next++]!
      try {
        const { status, body, ms } = await send(agent, origin, spec)
        latencies.push(ms)
        statusCodes[status] = (statusCodes[status] ?? 0) + 1
        if (status >= 200 && status < 300) ok++
        else firstFailure ??= { status, body: body.slice(0, 2000) }
      } catch {
        errors++
      }
    }
  }
  const started = process.hrtime.bigint()
  await Promise.all(Array.from({ length: job.connections }, connection))
  const durationSec = Number(process.hrtime.bigint() - started) / 1e9
  agent.destroy()
  return {
    responses: latencies.length,
    durationSec,
    rps: ok / durationSec,
    latencyMs: summarize(latencies),
    latencies,
    statusCodes,
    non2xx: latencies.length - ok,
    errors,
    ...(firstFailure ? { firstFailure } : {})
  }
}

process.once('disconnect', () => process.exit(0))
process.once('message', (job: OnceJob) => {
  run(job).then(
    (result) => process.send!({ result }, () => process.exit(0)),
    (err: unknown) => process.send!({ error: (err as Error).stack ?? String(err) }, () => process.exit(1))
  )
})
