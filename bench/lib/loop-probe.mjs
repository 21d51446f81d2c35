/**
 * Event-loop delay of the service as deployed, measured from inside its own process:
 * `node --import ./bench/lib/loop-probe.mjs dist/server.js`, spawned with an IPC channel. Plain JS,
 * so the built service needs no loader. Messages: 'eld-start' starts a fresh histogram
 * (monitorEventLoopDelay, a timer every RESOLUTION_MS), 'eld-stop' stops it and answers
 * { delay: { samples, p50Ms, p99Ms, maxMs, meanMs } }. Without an IPC channel, or in a worker
 * thread, it does nothing; with one it adds only these listeners and the timer while measuring.
 */
import process from 'node:process'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { isMainThread } from 'node:worker_threads'

/** Node's default sampling interval. */
const RESOLUTION_MS = 10

/**
 * The histogram records the whole time between two ticks of its timer, the interval included
 * (an idle loop shows ~10.1 ms at the median); the delay is what exceeds the interval.
 */
const delayMs = (ns) => Math.max(0, ns / 1e6 - RESOLUTION_MS)

if (isMainThread && process.send && process.channel) {
  let histogram
  process.on('message', (message) => {
    if (message === 'eld-start') {
      histogram?.disable()
      histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS })
      histogram.enable()
    }
    if (message === 'eld-stop' && histogram) {
      histogram.disable()
      const h = histogram
      process.send({ delay: { samples: h.count, p50Ms: delayMs(h.percentile(50)), p99Ms: delayMs(h.percentile(99)), maxMs: delayMs(h.max), meanMs: delayMs(h.mean) } })
    }
  })
  // The benchmark that started the service went away (killed, Ctrl-C): stop the service its own way.
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'))
  // The channel must not keep the process alive: the service exits when it would without the probe.
  process.channel.unref()
}
