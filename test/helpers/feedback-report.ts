import type { FeedbackReportData } from '../../src/reports/feedback-report.ts'

/** A filled-in feedback report, for rendering tests that need no database. */
export function sampleFeedbackData(overrides: Partial<FeedbackReportData> = {}): FeedbackReportData {
  const levels = ['not yet evident', 'sometimes evident, with prompting', 'consistently evident', 'evident and adapted to the client']
  const criterion = (key: string, title: string, level: number | null, notObserved = false, evidence: string | null = null) => ({
    key, title, level, notObserved, evidence,
    levelLabel: level === null ? null : ['Beginning', 'Developing', 'Proficient', 'Exemplary'][level - 1]!,
    descriptor: level === null ? null : `${title}: ${levels[level - 1]}.`,
    nextStep: level === null || level === 4 ? null : `${title}: ${levels[level]}.`
  })
  return {
    reportId: 'FR-1a2b3c4d-r3',
    generatedAt: new Date('2025-03-04T09:30:00Z'),
    observationId: '00000000-0000-4000-8000-000000000001',
    revision: 3,
    program: 'Certificate in Therapeutic Relationships — Spring cohort',
    trainee: 'Łukasz Żółć',
    supervisor: 'Đặng Thị Hương',
    sessionDate: '2025-02-27',
    durationMinutes: 50,
    setting: 'Hospice room, Ольга ward',
    modality: 'in_person',
    rubric: { key: 'therapeutic-relationship', version: 2, title: 'Therapeutic relationship skills' },
    scale: [{ value: 1, label: 'Beginning' }, { value: 2, label: 'Developing' }, { value: 3, label: 'Proficient' }, { value: 4, label: 'Exemplary' }],
    overall: 2.85,
    areas: [
      {
        key: 'safety', title: 'Safe environment', score: 3.75, trend: [2, 2.5, 3, 3.75],
        criteria: [
          criterion('eye-contact', 'Eye contact', 3, false, 'Held gaze while the client described the diagnosis; looked away briefly when the client cried, which gave room.'),
          criterion('body-language', 'Open body language', 4, false, 'Sat at the client\'s level, open posture throughout.')
        ]
      },
      {
        key: 'listening', title: 'Active listening', score: 2, trend: [1.5, 2, 2, 2],
        criteria: [
          criterion('paraphrasing', 'Paraphrasing', 2, false, 'Reflected "you feel nobody listens" back. Zoë Ñúñez (family) was present.'),
          criterion('non-verbal', 'Non-verbal cues', null, true),
          criterion('summarizing', 'Summarizing', null)
        ]
      }
    ],
    strengths: 'Warm, unhurried presence; the client visibly relaxed within minutes.',
    areasForGrowth: 'Paraphrase feelings as well as content; check understanding before moving on.',
    actionPlan: 'In the next two sessions, practise one reflection of feeling every ten minutes and note the client\'s response.',
    acknowledgement: { at: '2025-03-01T10:00:00.000Z', comment: 'Thank you — I will work on reflections of feeling.' },
    ...overrides
  }
}
