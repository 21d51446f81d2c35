import type { Readable } from 'node:stream'
import type { CohortReportData } from '../../src/reports/cohort-report.ts'

/** A cohort report of `trainees` lines, made up (no database): seconds of layout for 4,000. */
export function largeCohortData(trainees: number): CohortReportData {
  return {
    reportId: 'CR-TEST0000-00000000', generatedAt: new Date('2025-06-01T00:00:00Z'), program: 'Relationships certificate', cohort: 'Spring',
    organization: null, from: null, to: null, asOf: '2025-06-01', inactiveDays: 30,
    rubric: { key: 'therapeutic-relationship', version: 1, title: 'Therapeutic relationship skills' },
    scale: [{ value: 1, label: 'Beginning' }, { value: 2, label: 'Developing' }, { value: 3, label: 'Proficient' }, { value: 4, label: 'Exemplary' }],
    areas: ['Safe environment', 'Active listening', 'Collaboration'],
    trainees: Array.from({ length: trainees }, (_, i) => ({
      name: `Trainee ${String(i).padStart(5, '0')}`, organization: 'Hospice of the test', observations: 12, supervisors: 2,
      lastObservationOn: '2025-05-01', daysSinceLastObservation: 31, inactive: i % 3 === 0, areaScores: [2.5, 3, 1.75], overall: 2.42, eligibility: null
    })),
    weakest: [{ areaTitle: 'Safe environment', criterionTitle: 'Eye contact', meanLevel: 1.5, trainees: trainees }]
  }
}

export async function bytesOf(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const chunk of stream) parts.push(chunk as Buffer)
  return Buffer.concat(parts)
}

/** Polls `condition` every 20 ms until it holds (the test's own timeout bounds the wait). */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20))
}

/** A promise and the function that settles it, to hold a job in its data read for as long as a test needs. */
export function gate<T>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void
  const promise = new Promise<T>((resolve) => { open = resolve })
  return { promise, open }
}
