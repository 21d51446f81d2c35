import { buildApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import type { Database } from '../src/db/client.ts'
import type { RubricDefinition } from '../src/modules/rubrics/rubric-schemas.ts'
import { makeAccount } from '../test/helpers/factories.ts'
import { BenchFailure } from './lib/benchmark.ts'
import { seedSupervisedCohort } from './lib/seed.ts'

/**
 * The report-render world: one trainee with a run of submitted observations on a 3-area,
 * 13-criterion rubric, the last one acknowledged by the trainee. Observations go through the real
 * API (app.inject), so the report reads exactly what production would have written.
 */
const AREAS: Array<{ key: string; title: string; criteria: Array<[key: string, title: string, behaviour: string]> }> = [
  {
    key: 'safety', title: 'Creating a safe environment', criteria: [
      ['welcome', 'Welcome and opening', 'opens the session in a way that helps the client settle and sets out what the time is for'],
      ['eye-contact', 'Eye contact', 'keeps eye contact that is comfortable for this client, neither staring nor avoiding'],
      ['posture', 'Open body language', 'sits in an open, relaxed posture at the client\'s level, facing them without crowding'],
      ['confidentiality', 'Confidentiality and consent', 'explains confidentiality and its limits plainly and checks the client\'s consent']
    ]
  },
  {
    key: 'listening', title: 'Active listening', criteria: [
      ['paraphrasing', 'Paraphrasing', 'restates what the client said in fresh words that keep its meaning'],
      ['reflecting-feeling', 'Reflecting feeling', 'names the feeling beneath the client\'s words and checks whether it fits'],
      ['open-questions', 'Open questions', 'asks open questions that invite the client to tell their own story in their own order'],
      ['silence', 'Use of silence', 'allows silences to run long enough for the client to think and continue'],
      ['summarising', 'Summarising', 'draws the threads of the session together and offers the summary back for correction']
    ]
  },
  {
    key: 'collaboration', title: 'Collaboration and goals', criteria: [
      ['agenda', 'Shared agenda', 'agrees with the client what the session will focus on and revisits it when things shift'],
      ['strengths-focus', 'Building on strengths', 'notices and names what the client already does that helps them'],
      ['goal-setting', 'Goal setting', 'helps the client turn broad wishes into small goals they choose and can check'],
      ['ending', 'Ending the session', 'closes the session on time, with a clear next step and room for the client\'s last word']
    ]
  }
]

const SCALE = [
  { value: 1, label: 'Beginning' }, { value: 2, label: 'Developing' }, { value: 3, label: 'Proficient' }, { value: 4, label: 'Exemplary' }
]

const LEVELS = [
  (b: string) => `Rarely ${b}; the client's cues are often missed and attention is visibly on the trainee's own next question.`,
  (b: string) => `Sometimes ${b}, mostly when the conversation is easy or after a prompt; consistency drops when the client expresses strong emotion.`,
  (b: string) => `Consistently ${b}, including during difficult moments, and notices when the client's response changes.`,
  (b: string) => `As a matter of course ${b}, adapting it to this client's culture, pace and state, and using it deliberately to deepen the relationship.`
]

export function reportRubric(): RubricDefinition {
  return {
    title: 'Therapeutic relationship skills',
    scale: SCALE,
    areas: AREAS.map((area) => ({
      key: area.key,
      title: area.title,
      criteria: area.criteria.map(([key, title, behaviour]) => ({
        key, title, levels: SCALE.map((s, i) => ({ value: s.value, descriptor: LEVELS[i]!(behaviour) }))
      }))
    }))
  }
}

const OBSERVED = [
  'Early in the session the client said "I don\'t really know why I\'m here, my GP sent me", and the trainee let the remark stand rather than correcting it.',
  'When the client described the argument with her sister, the trainee leaned forward slightly, kept a soft gaze and waited for her to finish before responding.',
  'At about twenty minutes the client went quiet after the question about her father; the trainee left roughly eight seconds of silence, and the client went on to talk about the funeral.',
  'The trainee reflected "it sounds as if you feel you have to hold everyone together", and the client answered "yes, exactly, nobody asks how I am".',
  'Twice the trainee moved on to a new topic while the client was still finding words, and the client\'s answers became shorter afterwards.',
  'Near the end the trainee checked what had been most useful; the client chose the part about sleep, which became the focus of the plan.'
]
const COMMENT = [
  'This fits the level above: the behaviour was present, but it was not yet steady across the whole session.',
  'In the recording this is visible at 12:40 and again at 31:05, where the client\'s tone softens noticeably.',
  'Worth comparing with last month\'s session, where the same moment was handled more hurriedly.'
]

/** Three or four sentences of evidence per criterion (about 460 characters on average), varying with the criterion. */
const evidence = (i: number, n: number) =>
  [OBSERVED[(i + n) % OBSERVED.length]!, OBSERVED[(i + n + 3) % OBSERVED.length]!, COMMENT[(i + n) % COMMENT.length]!]
    .concat(i % 2 === 0 ? [COMMENT[(i + 1) % COMMENT.length]!] : []).join(' ')

function observationBody(traineeId: string, rubric: RubricDefinition, sessionDate: string, n: number) {
  const criteria = rubric.areas.flatMap((a) => a.criteria)
  // Levels rise slowly from session to session, so the trend lines have a shape.
  const level = (i: number) => Math.min(4, 1 + Math.floor((n + (i % 3)) / 2))
  return {
    traineeId, sessionDate, durationMinutes: 50, modality: n % 3 === 2 ? 'video' : 'in_person', submit: true,
    setting: 'Community counselling service, weekly sessions with an adult client referred for low mood after a bereavement',
    contextNote: 'The client consented to the session being observed; the supervisor sat in the room, out of the client\'s line of sight.',
    scores: criteria.map((c, i) => ({ criterionKey: c.key, level: level(i), evidence: evidence(i, n) })),
    strengths: 'A warm, unhurried opening; the client visibly relaxed within the first few minutes. Reflections of feeling were accurate and well timed, ' +
      'and the trainee tolerated silence far better than in earlier sessions, which let the client bring up the funeral herself.',
    areasForGrowth: 'In the middle third, closed questions crowded out the client\'s own account, and twice a new topic was opened before she had finished. ' +
      'Summaries tended to list facts rather than the feelings attached to them, so the client corrected them less than she might have.',
    actionPlan: 'Practise open questions in role play with a peer, aiming for three open questions for every closed one. Before the next supervision, ' +
      'review two recorded sessions and mark each moment where a summary could have named a feeling. Agree one session goal with the client at the start.'
  }
}

export interface ReportWorld {
  observationId: string
  supervisorKey: string
  criteria: number
  observations: number
  /** Characters of evidence in the report, to show the text is of realistic length. */
  evidenceChars: number
}

/** `earlier` submitted observations for the trend, then the reported one, submitted and acknowledged. */
export async function seedReportWorld(database: Database, url: string, earlier: number): Promise<ReportWorld> {
  const rubric = reportRubric()
  const world = await seedSupervisedCohort(database.db, rubric, 1)
  const traineeId = world.traineeIds[0]!
  const trainee = await makeAccount(database.db, 'trainee', { traineeId })
  const app = await buildApp({ config: loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'silent', LOAD_RUBRICS_ON_START: 'false' }), database, logger: false })
  try {
    let last: { id: string; etag: string; evidenceChars: number } | undefined
    for (let n = 0; n <= earlier; n++) {
      const sessionDate = new Date(Date.now() - (earlier - n + 1) * 7 * 86_400_000).toISOString().slice(0, 10)
      const body = observationBody(traineeId, rubric, sessionDate, n)
      const res = await app.inject({ method: 'POST', url: '/v1/observations', headers: { authorization: `Bearer ${world.supervisorKey}` }, payload: body })
      if (res.statusCode !== 201) throw new BenchFailure(`seeding an observation answered ${res.statusCode}: ${res.body.slice(0, 1000)}`)
      last = { id: res.json<{ id: string }>().id, etag: String(res.headers.etag), evidenceChars: body.scores.reduce((s, x) => s + x.evidence.length, 0) }
    }
    const ack = await app.inject({
      method: 'POST', url: `/v1/observations/${last!.id}/acknowledge`,
      headers: { authorization: `Bearer ${trainee.key}`, 'if-match': last!.etag },
      payload: { comment: 'Thank you. I had not noticed how often I change the subject; I will try the three-to-one ratio with my next two clients.' }
    })
    if (ack.statusCode !== 200) throw new BenchFailure(`acknowledging the observation answered ${ack.statusCode}: ${ack.body.slice(0, 1000)}`)
    return {
      observationId: last!.id, supervisorKey: world.supervisorKey, observations: earlier + 1, evidenceChars: last!.evidenceChars,
      criteria: rubric.areas.reduce((s, a) => s + a.criteria.length, 0)
    }
  } finally {
    await app.close()
  }
}
