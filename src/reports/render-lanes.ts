import type { RenderJob } from './renderers.ts'

/**
 * Reports differ in cost by three orders of magnitude: a feedback report, a progress report or a
 * certificate is one person's few pages (some 40 ms), a cohort report is a line per trainee (some
 * 5 s for 4,000 of them). Each size waits in a lane of its own, so a burst of cohort reports never
 * stands in front of the feedback report a supervisor is waiting for.
 */
export type Lane = 'small' | 'large'
export const LANES: readonly Lane[] = ['small', 'large']

const LANE_OF: Record<RenderJob['kind'], Lane> = { feedback: 'small', progress: 'small', certificate: 'small', cohort: 'large' }
export const laneOf = (kind: RenderJob['kind']): Lane => LANE_OF[kind]

/**
 * Large jobs may hold this many workers at once: all but one, so a small job waits for at most the
 * small jobs ahead of it, never for a cohort report. With a single worker there is nothing to hold
 * back; the small job then goes first in the queue but waits for the large one running.
 */
export const largeWorkersMax = (size: number): number => (size > 1 ? size - 1 : 1)

/** Waiting jobs: one bounded first-in-first-out queue per lane. */
export class LaneQueues<T> {
  private readonly waiting: Record<Lane, T[]> = { small: [], large: [] }

  constructor(private readonly max: number, private readonly size: number) {}

  depth(lane: Lane): number {
    return this.waiting[lane].length
  }

  /** False when the lane already holds `max` jobs: the caller refuses the job. */
  push(lane: Lane, item: T): boolean {
    if (this.waiting[lane].length >= this.max) return false
    this.waiting[lane].push(item)
    return true
  }

  remove(lane: Lane, item: T): void {
    const list = this.waiting[lane]
    const i = list.indexOf(item)
    if (i >= 0) list.splice(i, 1)
  }

  /** The job to start on a free worker, given the jobs of each lane holding one now; small ones first. */
  next(busy: Record<Lane, number>): { lane: Lane; item: T } | undefined {
    if (busy.small + busy.large >= this.size) return undefined
    const small = this.waiting.small.shift()
    if (small !== undefined) return { lane: 'small', item: small }
    if (busy.large >= largeWorkersMax(this.size)) return undefined
    const large = this.waiting.large.shift()
    return large === undefined ? undefined : { lane: 'large', item: large }
  }

  /** Empties every lane (the pool is closing). */
  drain(): T[] {
    return LANES.flatMap((lane) => this.waiting[lane].splice(0))
  }
}
