import type { RubricDefinition } from '../src/modules/rubrics/rubric-schemas.ts'
import type { SubmitBody } from './observations-bare-route.ts'
import type { RequestSpec } from './lib/load.ts'
import type { SupervisedCohort } from './lib/seed.ts'

const EVIDENCE = [
  'Client said "you actually listened"; trainee reflected the feeling before asking the next question.',
  'Kept an open posture and steady eye contact while the client described the conflict with her manager.',
  'Paraphrased the client\'s worry about relapse accurately and checked whether the summary was right.',
  'Noticed the client going quiet after the question about family and slowed down instead of moving on.'
]

/** A complete observation of one session: every criterion scored, with evidence, submitted at once. */
export function submitBody(traineeId: string, rubric: RubricDefinition, sessionDate: string, n: number): SubmitBody {
  const criteria = rubric.areas.flatMap((area) => area.criteria)
  return {
    traineeId,
    sessionDate,
    durationMinutes: 50,
    setting: 'Outpatient counselling clinic, second session with this client',
    modality: n % 2 === 0 ? 'in_person' : 'video',
    contextNote: 'Client referred by GP for low mood after a bereavement; consented to the session being observed.',
    scores: criteria.map((c, i) => ({ criterionKey: c.key, level: 1 + ((i + n) % 4), evidence: EVIDENCE[(i + n) % EVIDENCE.length]! })),
    strengths: 'Warm, unhurried opening; reflections were accurate and the client visibly relaxed within minutes.',
    areasForGrowth: 'Closed questions crowded out the client\'s own account in the middle of the session.',
    actionPlan: 'Practise open questions in role play; review two recorded sessions with the supervisor next week.',
    submit: true
  }
}

/** One request per trainee, the same bodies for both routes; a week-old session date is never "in the future". */
export function submitRequests(path: string, world: SupervisedCohort, rubric: RubricDefinition, now = new Date()): RequestSpec[] {
  const sessionDate = new Date(now.getTime() - 7 * 86_400_000).toISOString().slice(0, 10)
  return world.traineeIds.map((traineeId, n) => ({
    method: 'POST',
    path,
    headers: { authorization: `Bearer ${world.supervisorKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(submitBody(traineeId, rubric, sessionDate, n))
  }))
}
