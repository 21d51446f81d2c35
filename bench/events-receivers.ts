import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import type { RequestSpec } from './lib/load.ts'

/**
 * The events benchmark's webhook receivers and its open-loop sender. Receivers are plain node:http
 * servers on loopback answering 204, as a well-behaved receiver does; each notes when every
 * delivery of an observation arrived (performance.now(), the same clock as the sender's).
 */
export interface Receiver {
  url: string
  /** Deliveries received, in all. */
  count(): number
  /** When the delivery of the observation's event arrived (first arrival; a retry is not counted twice). */
  arrivals: Map<string, number>
  close(): Promise<void>
}

export async function startReceiver(): Promise<Receiver> {
  const arrivals = new Map<string, number>()
  let count = 0
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const at = performance.now()
      count++
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data?: { observationId?: string } }
        const id = body.data?.observationId
        if (id && !arrivals.has(id)) arrivals.set(id, at)
      } catch {
        // not a delivery of ours: counted, not timed
      }
      res.writeHead(204).end()
    })
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hook`,
    count: () => count,
    arrivals,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  }
}

export interface OpenLoopResult {
  sent: number
  /** Non-201 answers and network errors. */
  failed: number
  /** The first of them, so a broken run says why. */
  firstFailure?: string
  /** When each created observation's 201 arrived: its transaction had committed by then. */
  committed: Map<string, number>
  /** API latency of the submissions (ms). */
  apiLatencyMs: number[]
}

/**
 * Sends `rate` requests a second for `seconds`, on a fixed schedule whatever the answers take
 * (open loop: a slow answer does not slow the arrivals, so queueing shows in the latencies).
 */
export async function openLoop(origin: string, requests: RequestSpec[], rate: number, seconds: number): Promise<OpenLoopResult> {
  const result: OpenLoopResult = { sent: 0, failed: 0, committed: new Map(), apiLatencyMs: [] }
  const total = Math.round(rate * seconds)
  const start = performance.now()
  const inFlight: Promise<void>[] = []
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate
    const wait = due - performance.now()
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait))
    const spec = requests[i % requests.length]!
    const sentAt = performance.now()
    result.sent++
    inFlight.push(fetch(origin + spec.path, { method: spec.method, headers: spec.headers, body: spec.body ?? null }).then(async (res) => {
      const at = performance.now()
      const text = await res.text()
      if (res.status !== 201) {
        result.failed++
        result.firstFailure ??= `${res.status} ${text.slice(0, 300)}`
        return
      }
      result.apiLatencyMs.push(at - sentAt)
      result.committed.set((JSON.parse(text) as { id: string }).id, at)
    }, (err: unknown) => {
      result.failed++
      result.firstFailure ??= String(err)
    }))
  }
  await Promise.all(inFlight)
  return result
}

/** Waits until `done()` or `timeoutMs`; answers the seconds it took (Infinity when it timed out). */
export async function waitFor(done: () => boolean, timeoutMs: number): Promise<number> {
  const start = performance.now()
  while (!done()) {
    if (performance.now() - start > timeoutMs) return Number.POSITIVE_INFINITY
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return (performance.now() - start) / 1000
}
