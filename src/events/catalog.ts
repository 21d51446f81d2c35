import { Type, type Static, type TSchema } from 'typebox'
import { Uuid } from '../lib/schemas.ts'

/**
 * The one catalog of event types: what each says happened, the kind of its subject and the schema
 * of its `data`. Payloads are small: ids, a status, and `links` (API paths) to read the rest with
 * the reader's own key. Never evidence, notes or anything narrative: a feed reader or a webhook
 * receiver may see less than the person who made the change.
 */
const Links = Type.Record(Type.String({ maxLength: 40 }), Type.String({ maxLength: 300 }), {
  description: 'API paths of the subject and what it refers to (`self`, `trainee`, ...), relative to the service'
})

const Trainee = Type.Object({ traineeId: Uuid, organizationId: Uuid, active: Type.Boolean(), links: Links }, { additionalProperties: false })
const Supervisor = Type.Object({ supervisorId: Uuid, organizationId: Uuid, active: Type.Boolean(), links: Links }, { additionalProperties: false })

const Assignment = Type.Object({
  assignmentId: Uuid, traineeId: Uuid, supervisorId: Uuid, active: Type.Boolean(), links: Links
}, { additionalProperties: false })

const Observation = Type.Object({
  observationId: Uuid, traineeId: Uuid, supervisorId: Uuid, programId: Uuid,
  status: Type.Union([Type.Literal('submitted'), Type.Literal('acknowledged')]),
  revision: Type.Integer({ minimum: 1, maximum: 2_147_483_647, format: 'int32' }),
  links: Links
}, { additionalProperties: false })

export const EligibilityStatus = Type.Union([Type.Literal('eligible'), Type.Literal('close'), Type.Literal('not_eligible')])

const Eligibility = Type.Object({
  traineeId: Uuid, programId: Uuid,
  /** Null the first time a trainee's eligibility in the program is told. */
  from: Type.Union([EligibilityStatus, Type.Null()]),
  to: EligibilityStatus,
  /** `activity`: an observation, assignment or certificate; `rules`: the program's rules changed; `time`: only time passed (the window slid). */
  cause: Type.Union([Type.Literal('activity'), Type.Literal('rules'), Type.Literal('time')]),
  asOf: Type.String({ format: 'date', maxLength: 10, description: 'the day (in the organization\'s time zone) it was evaluated for' }),
  links: Links
}, { additionalProperties: false })

const Certificate = Type.Object({
  certificateId: Uuid, traineeId: Uuid, programId: Uuid, serial: Type.String({ maxLength: 40 }), links: Links
}, { additionalProperties: false })

const RubricPublished = Type.Object({
  rubricKey: Type.String({ maxLength: 100 }), version: Type.Integer({ minimum: 1, maximum: 2_147_483_647, format: 'int32' }), rubricVersionId: Uuid, links: Links
}, { additionalProperties: false })

const RulesChanged = Type.Object({
  programId: Uuid, version: Type.Integer({ minimum: 1, maximum: 2_147_483_647, format: 'int32' }), links: Links
}, { additionalProperties: false })

const EndpointDisabled = Type.Object({
  endpointId: Uuid,
  reason: Type.Union([Type.Literal('gone'), Type.Literal('failing')]),
  links: Links
}, { additionalProperties: false })

interface EventKind { subject: string; description: string; data: TSchema }

const kind = <S extends TSchema>(subject: string, description: string, data: S) => ({ subject, description, data })

export const EVENT_CATALOG = {
  'trainee.created': kind('trainee', 'A trainee was added (API, web, HR import or SCIM).', Trainee),
  'trainee.updated': kind('trainee', 'A trainee\'s record changed: name, HR id, cohort placement.', Trainee),
  'trainee.deactivated': kind('trainee', 'A trainee was deactivated.', Trainee),
  'trainee.reactivated': kind('trainee', 'A deactivated trainee was reactivated.', Trainee),
  'supervisor.created': kind('supervisor', 'A supervisor was added.', Supervisor),
  'supervisor.updated': kind('supervisor', 'A supervisor\'s record changed.', Supervisor),
  'supervisor.deactivated': kind('supervisor', 'A supervisor was deactivated.', Supervisor),
  'supervisor.reactivated': kind('supervisor', 'A deactivated supervisor was reactivated.', Supervisor),
  'assignment.created': kind('assignment', 'A supervisor was assigned a trainee.', Assignment),
  'assignment.updated': kind('assignment', 'An assignment\'s period changed.', Assignment),
  'assignment.deactivated': kind('assignment', 'An assignment was ended.', Assignment),
  'assignment.reactivated': kind('assignment', 'An ended assignment was reactivated.', Assignment),
  'observation.submitted': kind('observation', 'A supervisor submitted an observation: the trainee can read it.', Observation),
  'observation.amended': kind('observation', 'A submitted observation was corrected by a new revision.', Observation),
  'observation.acknowledged': kind('observation', 'The trainee acknowledged an observation.', Observation),
  'eligibility.changed': kind('eligibility', 'A trainee became eligible, became close, or is no longer eligible in a program, by activity, a rule change or time passing.', Eligibility),
  'certificate.issued': kind('certificate', 'A certificate was issued.', Certificate),
  'certificate.revoked': kind('certificate', 'A certificate was revoked.', Certificate),
  'rubric.published': kind('rubric_version', 'A rubric version was published.', RubricPublished),
  'program.rules_changed': kind('program', 'A program\'s eligibility rules changed (a new version).', RulesChanged),
  'endpoint.disabled': kind('webhook_endpoint', 'A webhook endpoint was deactivated by the service: it answered 410 Gone, or failed for 5 days.', EndpointDisabled)
} as const satisfies Record<string, EventKind>

export type EventType = keyof typeof EVENT_CATALOG
export type EventData<T extends EventType> = Static<(typeof EVENT_CATALOG)[T]['data']>

export const EVENT_TYPES = Object.keys(EVENT_CATALOG) as EventType[]

export const isEventType = (value: string): value is EventType => Object.hasOwn(EVENT_CATALOG, value)
