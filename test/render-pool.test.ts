import t, { type Test } from 'tap'
import { AppError } from '../src/errors.ts'
import type { RenderOutcome } from '../src/lib/metrics.ts'
import type { Lane } from '../src/reports/render-lanes.ts'
import { createRenderPool, type RenderPoolOptions } from '../src/reports/render-pool.ts'
import type { RenderJob } from '../src/reports/renderers.ts'
import { sampleFeedbackData } from './helpers/feedback-report.ts'
import { bytesOf, gate, largeCohortData, until } from './helpers/render-faults.ts'

// Several documents of seconds each, on a machine other work may share.
t.setTimeout(600_000)

/** The pool alone (no app): lanes, bounds, dropping, cancelling, time and heap limits, outcomes. */
function pool(t: Test, o: RenderPoolOptions = {}) {
  const outcomes: Array<`${Lane} ${RenderOutcome}`> = []
  const p = createRenderPool({ idleMs: 60_000, ...o, onOutcome: (lane, outcome) => outcomes.push(`${lane} ${outcome}`) })
  t.teardown(() => p.close())
  return { p, outcomes }
}

const feedback = (): RenderJob => ({ kind: 'feedback', data: sampleFeedbackData() })
const isPdf = (b: Buffer) => b.subarray(0, 5).toString('latin1') === '%PDF-'
/** The problem code `render` throws with, or undefined when it accepts the job. */
const refusal = (render: () => unknown): string | undefined => {
  try {
    render()
    return undefined
  } catch (err) {
    return err instanceof AppError ? err.code : String(err)
  }
}

t.test('a full lane refuses with render-queue-full, and the job holds no worker', async (t) => {
  const { p, outcomes } = pool(t, { size: 1, queueMax: 1 })
  const held = gate<RenderJob>()
  const first = p.render({ kind: 'cohort', prepare: () => held.promise })
  const second = p.render({ kind: 'cohort', prepare: async () => ({ kind: 'cohort', data: largeCohortData(5) }) })
  t.equal(p.depth('large'), 1, 'one waits')
  t.equal(refusal(() => p.render({ kind: 'cohort', data: largeCohortData(5) })), 'render-queue-full', 'the next is refused')
  t.same(outcomes, ['large refused'])
  held.open({ kind: 'cohort', data: largeCohortData(5) })
  t.ok(isPdf(await bytesOf(first)) && isPdf(await bytesOf(second)), 'the admitted ones render')
  t.same(outcomes, ['large refused', 'large completed', 'large completed'])
})

t.test('a job whose consumer left before it started never reaches a worker, nor reads its data', async (t) => {
  const { p, outcomes } = pool(t, { size: 1 })
  const held = gate<RenderJob>()
  const first = p.render({ kind: 'feedback', prepare: () => held.promise })
  let read = false
  const left = p.render({ kind: 'feedback', prepare: async () => { read = true; return feedback() } })
  left.destroy()
  await until(() => outcomes.includes('small dropped'))
  t.equal(p.depth('small'), 0, 'it left the queue')
  held.open(feedback())
  t.ok(isPdf(await bytesOf(first)))
  t.notOk(read, 'its data was never read')
  t.same(outcomes, ['small dropped', 'small completed'])
})

t.test('a running job whose consumer left stops its worker; the next job renders on a fresh one', async (t) => {
  const { p, outcomes } = pool(t, { size: 1 })
  const big = p.render({ kind: 'cohort', data: largeCohortData(4000) })
  big.resume()
  await until(() => p.busy === 1 && p.running === 1)
  await new Promise((resolve) => setTimeout(resolve, 300))
  big.destroy()
  await until(() => outcomes.length > 0)
  t.same(outcomes, ['large cancelled'])
  t.equal(p.running, 0, 'the worker is gone (terminated, not left to finish)')
  t.ok(isPdf(await bytesOf(p.render(feedback()))), 'the next report renders')
  t.equal(p.running, 1, 'on a new worker')
})

t.test('a job past its time limit fails with render-timeout alone', async (t) => {
  const { p, outcomes } = pool(t, { size: 1, timeoutMs: 2000 })
  await t.rejects(bytesOf(p.render({ kind: 'cohort', data: largeCohortData(4000) })), { code: 'render-timeout', status: 503 })
  t.same(outcomes, ['large timed_out'])
  t.equal(p.running, 0, 'its worker was terminated (the next job starts a fresh one)')
  t.equal(p.busy, 0)
})

t.test('a document that outgrows the worker heap fails alone; its worker is replaced', async (t) => {
  const { p, outcomes } = pool(t, { size: 1, heapMb: 64 })
  await t.rejects(bytesOf(p.render({ kind: 'cohort', data: largeCohortData(4000) })), { code: 'render-timeout', message: /more memory than a render worker has/ })
  t.same(outcomes, ['large failed'])
  t.equal(p.running, 0, 'the worker that ran out is gone (the next job starts a fresh one)')
  t.equal(p.busy, 0)
})

t.test('small reports are served while the large lane is full', async (t) => {
  const { p, outcomes } = pool(t, { size: 2, queueMax: 1 })
  const held = gate<RenderJob>()
  const large = [p.render({ kind: 'cohort', prepare: () => held.promise }), p.render({ kind: 'cohort', prepare: () => held.promise })]
  t.equal(p.busy, 1, 'large reports hold one of the two workers at most')
  t.equal(p.depth('large'), 1)
  t.equal(refusal(() => p.render({ kind: 'cohort', data: largeCohortData(5) })), 'render-queue-full')
  for (const n of [1, 2, 3]) t.ok(isPdf(await bytesOf(p.render(feedback()))), `small report ${n} renders on the other worker`)
  t.same(outcomes, ['large refused', 'small completed', 'small completed', 'small completed'])
  held.open({ kind: 'cohort', data: largeCohortData(5) })
  for (const s of large) t.ok(isPdf(await bytesOf(s)))
})

t.test('an error reading the data is the stream\'s error, not a render outcome', async (t) => {
  const { p, outcomes } = pool(t, { size: 1 })
  const notFound = new AppError(404, 'not-found', 'Not found', 'no such observation')
  await t.rejects(bytesOf(p.render({ kind: 'feedback', prepare: async () => { throw notFound } })), notFound)
  t.same(outcomes, [])
  t.ok(isPdf(await bytesOf(p.render(feedback()))))
})
