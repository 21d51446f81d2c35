import type { ProgressObservation, ProgressReportData } from '../../src/reports/progress-report.ts'

const SUPERVISORS = ['Đặng Thị Hương', 'Ольга Петрова', 'Zoë Ñúñez']
const SETTINGS = ['Hospice room, east wing', 'School counselling office', 'Outpatient clinic, room 4', 'Home visit']
const MODALITIES = ['in_person', 'video', 'audio', 'simulated']

/** A trainee's history of `count` observations with scores that improve over time; no database needed. */
export function sampleProgressData(count: number, overrides: Partial<ProgressReportData> = {}): ProgressReportData {
  const start = Date.UTC(2024, 0, 8)
  const observations: ProgressObservation[] = Array.from({ length: count }, (_, i) => {
    const base = 1 + (3 * i) / Math.max(1, count - 1)
    const areaScores = [base, Math.max(1, base - 0.5), i % 7 === 3 ? null : Math.min(4, base + 0.25)].map((v) => (v === null ? null : Math.round(v * 100) / 100))
    return {
      sessionDate: new Date(start + i * 3 * 86_400_000).toISOString().slice(0, 10),
      supervisor: SUPERVISORS[i % SUPERVISORS.length]!,
      setting: SETTINGS[i % SETTINGS.length]!,
      modality: MODALITIES[i % MODALITIES.length]!,
      durationMinutes: 30 + (i % 4) * 10,
      acknowledged: i % 5 !== 4,
      overall: Math.round(base * 100) / 100,
      areaScores
    }
  })
  const latest = (title: string, level: number) => ({ title, timesObserved: count, latest: count === 0 ? null : { level, label: ['Beginning', 'Developing', 'Proficient', 'Exemplary'][level - 1]!, sessionDate: observations.at(-1)!.sessionDate } })
  return {
    reportId: 'PR-00000001-2025-03-04',
    generatedAt: new Date('2025-03-04T09:30:00Z'),
    trainee: 'Łukasz Żółć',
    organization: 'Riverside Hospice',
    cohort: 'Spring 2025',
    program: 'Certificate in Therapeutic Relationships',
    rubric: { key: 'therapeutic-relationships', version: 1, title: 'Building therapeutic relationships' },
    coverage: 'Covers every submitted observation of the trainee in this program.',
    scale: [{ value: 1, label: 'Beginning' }, { value: 2, label: 'Developing' }, { value: 3, label: 'Proficient' }, { value: 4, label: 'Exemplary' }],
    areas: [
      { key: 'safe-environment', title: 'Safe environment', criteria: [latest('Welcoming the client', 3), latest('Open body language', 4)] },
      { key: 'active-listening', title: 'Active listening', criteria: [latest('Paraphrasing', 2), { title: 'Summarizing', timesObserved: 0, latest: null }] },
      { key: 'empathy', title: 'Empathy and validation', criteria: [latest('Naming feelings', 3), { title: 'Validating without agreeing', timesObserved: 0, latest: null }] }
    ],
    observations,
    supervisors: SUPERVISORS.map((name) => ({ name, observations: Math.ceil(count / 3), lastSessionDate: observations.at(-1)?.sessionDate ?? '' })),
    settings: SETTINGS.map((name) => ({ name, observations: Math.ceil(count / 4), lastSessionDate: observations.at(-1)?.sessionDate ?? '' })),
    eligibility: {
      asOf: '2025-03-04',
      message: 'Not eligible: 1 of 3 rules is not met.',
      rules: [
        { description: 'At least 6 submitted observations', met: true, missing: null },
        { description: 'Observed by at least 2 different supervisors', met: true, missing: null },
        { description: 'Every criterion scored at least twice (not "not observed")', met: false, missing: 'Needs more scores for: Summarizing (0 of 2); Validating without agreeing (0 of 2).' }
      ]
    },
    ...overrides
  }
}
