import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyBaseLogger } from 'fastify'
import { createBackground } from '../src/background/loops.ts'

/** A logger that keeps the messages of error lines. */
function collectingLog(errors: string[] = []): FastifyBaseLogger {
  const noop = () => {}
  const log = {
    level: 'error', fatal: noop, warn: noop, info: noop, debug: noop, trace: noop, silent: noop,
    error: (_obj: unknown, msg?: string) => { errors.push(msg ?? '') },
    child: () => log
  }
  return log as unknown as FastifyBaseLogger
}

const quiet = collectingLog()

const until = async (check: () => boolean, what: string) => {
  for (let i = 0; i < 200 && !check(); i++) await sleep(10)
  if (!check()) throw new Error(`timed out waiting for ${what}`)
}

t.test('a loop runs at start, again after its interval, and at once when it says there is more', async (t) => {
  const bg = createBackground({ enabled: true, log: quiet })
  let runs = 0
  bg.register('more', { intervalMs: 60_000 }, async () => (++runs < 3 ? 'more' : undefined))
  bg.start()
  await until(() => runs === 3, 'three runs')
  await sleep(50)
  t.equal(runs, 3, 'after the batches it waits for its interval (a minute)')
  await bg.stop()
})

t.test('a nudge runs a waiting loop now; a nudge during a run runs it once more after', async (t) => {
  const bg = createBackground({ enabled: true, log: quiet })
  let runs = 0
  let release: (() => void) | undefined
  bg.register('nudged', { intervalMs: 60_000 }, async () => {
    runs++
    if (runs === 2) await new Promise<void>((resolve) => { release = resolve })
  })
  bg.start()
  await until(() => runs === 1, 'the first run')
  await sleep(20)
  bg.nudge('nudged')
  await until(() => runs === 2 && release !== undefined, 'the nudged run')
  bg.nudgeAll('nud')
  release!()
  await until(() => runs === 3, 'the run asked for during the second')
  await sleep(50)
  t.equal(runs, 3, 'one extra run, not one per nudge')
  await bg.stop()
})

t.test('runs never overlap, and stop waits for the one in progress', async (t) => {
  const bg = createBackground({ enabled: true, log: quiet })
  let inFlight = 0
  let most = 0
  let finished = 0
  bg.register('slow', { intervalMs: 1 }, async () => {
    inFlight++
    most = Math.max(most, inFlight)
    await sleep(30)
    inFlight--
    finished++
    return 'more'
  })
  bg.start()
  for (let i = 0; i < 5; i++) { bg.nudge('slow'); await sleep(5) }
  await until(() => finished >= 2, 'two runs')
  await bg.stop()
  t.equal(inFlight, 0, 'stop resolved after the run in progress ended')
  t.equal(most, 1, 'never two runs of one loop at once')
  const after = finished
  await sleep(60)
  t.equal(finished, after, 'no run starts after stop')
})

t.test('a failing loop backs off and is logged on the first failure, not on every one', async (t) => {
  const logged: string[] = []
  const log = collectingLog(logged)
  const bg = createBackground({ enabled: true, log })
  const at: number[] = []
  bg.register('broken', { intervalMs: 20 }, async () => {
    at.push(Date.now())
    throw new Error('database unreachable')
  })
  bg.start()
  await until(() => at.length >= 4, 'four failures')
  await bg.stop()
  const gaps = at.slice(1).map((v, i) => v - at[i]!)
  t.ok(gaps[2]! >= 2 * 20 * 2, `the waits double (${gaps.join(', ')} ms)`)
  t.equal(logged.length, 1, 'one log line for the run of failures so far')
  t.match(logged[0], /background broken failed/)
})

t.test('disabled (DISPATCHER_ENABLED=false), loops are registered but never run', async (t) => {
  const bg = createBackground({ enabled: false, log: quiet })
  let runs = 0
  bg.register('off', { intervalMs: 1 }, async () => { runs++ })
  bg.start()
  bg.nudge('off')
  await sleep(30)
  t.equal(runs, 0)
  t.throws(() => bg.register('off', { intervalMs: 1 }, async () => {}), /registered twice/)
  await bg.stop()
})

t.test('with a minimum gap, nudges within it wait, so a burst of commits is one run', async (t) => {
  const bg = createBackground({ enabled: true, log: quiet })
  const starts: number[] = []
  bg.register('batched', { intervalMs: 60_000, minGapMs: 150 }, async () => { starts.push(Date.now()) })
  bg.start()
  await until(() => starts.length === 1, 'the first run')
  for (let i = 0; i < 10; i++) { bg.nudge('batched'); await sleep(5) }
  await until(() => starts.length === 2, 'the run the nudges asked for')
  await sleep(200)
  t.equal(starts.length, 2, 'ten nudges, one run')
  t.ok(starts[1]! - starts[0]! >= 145, `at least the gap apart (${starts[1]! - starts[0]!} ms)`)
  await bg.stop()
})

t.test('the shutdown signal takes a listener per send in flight without a MaxListenersExceeded warning', async (t) => {
  const bg = createBackground({ enabled: true, log: quiet })
  const warnings: string[] = []
  const onWarning = (w: Error) => { warnings.push(w.name) }
  process.on('warning', onWarning)
  t.teardown(() => { process.off('warning', onWarning) })
  let aborted = 0
  let listening = false
  bg.register('sends', { intervalMs: 60_000 }, async (signal) => {
    // As WEBHOOK_CONCURRENCY (16) sends do: each listens for shutdown while it is in flight.
    for (let i = 0; i < 32; i++) signal.addEventListener('abort', () => { aborted++ }, { once: true })
    listening = true
    return undefined
  })
  bg.start()
  await until(() => listening, 'the listeners')
  await bg.stop()
  await sleep(20)
  t.same(warnings.filter((w) => w === 'MaxListenersExceededWarning'), [], 'no warning')
  t.equal(aborted, 32, 'every listener heard the shutdown')
})
