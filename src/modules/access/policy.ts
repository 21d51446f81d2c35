import { and, eq, exists, gte, inArray, isNull, lte, ne, or, sql, type SQL, type SQLWrapper } from 'drizzle-orm'
import {
  accounts, assignments, certificates, cohorts, events, observations, organizations, programOrganizations, programs, scimGroups, scimUsers, supervisors, trainees, webhookEndpoints
} from '../../db/schema/index.ts'
import type { Principal, Role } from '../../lib/request-context.ts'

/**
 * Who may see what: one condition per kind of record, added to every query over it, so that an
 * object outside the caller's scope is simply not found (404), exactly as if it did not exist.
 *
 * - admin: everything
 * - coordinator (programs P): P and their cohorts; the organizations P serve (program_organizations),
 *   their trainees and supervisors (and any trainee placed in a cohort of P), those people's
 *   accounts and assignments; the observations and certificates of P
 * - supervisor: trainees with a current assignment to them; observations they made
 * - trainee: themself; their own observations once submitted
 * - integrator: the people of their organization; its submitted observations, without free text;
 *   the programs serving it and their cohorts (to read, and to place its trainees in)
 */
const NOTHING = sql`false`

/** An assignment that has not ended and was not deactivated. Values may be placeholders of a prepared query. */
export function currentAssignment(supervisorId: string | SQLWrapper, traineeId: SQLWrapper, onDate: SQLWrapper | string = sql`current_date`): SQL {
  return exists(
    sql`(select 1 from ${assignments} where ${and(
      eq(assignments.supervisorId, supervisorId),
      eq(assignments.traineeId, traineeId),
      eq(assignments.active, true),
      lte(assignments.startsOn, onDate),
      or(isNull(assignments.endsOn), gte(assignments.endsOn, onDate))
    )})`
  )
}

const within = (column: SQLWrapper, programIds: string[]): SQL => (programIds.length === 0 ? NOTHING : inArray(column, programIds))

/** The organization (an id column) is served by one of the programs. */
export function servedBy(programIds: string[], organizationId: SQLWrapper): SQL {
  if (programIds.length === 0) return NOTHING
  return exists(sql`(select 1 from ${programOrganizations} where ${and(
    eq(programOrganizations.organizationId, organizationId), within(programOrganizations.programId, programIds))})`)
}

/** The program (an id column) serves the organization: what an integrator of it may read and place trainees in. */
function servesOrganization(organizationId: string | null, programId: SQLWrapper): SQL {
  if (organizationId === null) return NOTHING
  return exists(sql`(select 1 from ${programOrganizations} where ${and(
    eq(programOrganizations.programId, programId), eq(programOrganizations.organizationId, organizationId))})`)
}

/** The trainee (a cohort id column) is placed in a cohort of one of the programs. */
export function placedIn(programIds: string[], cohortId: SQLWrapper): SQL {
  if (programIds.length === 0) return NOTHING
  return exists(sql`(select 1 from ${cohorts} where ${and(eq(cohorts.id, cohortId), within(cohorts.programId, programIds))})`)
}

export function organizationScope(p: Principal): SQL | undefined {
  switch (p.role) {
    case 'admin': return undefined
    case 'coordinator': return servedBy(p.programIds, organizations.id)
    case 'supervisor': return p.supervisorId
      ? exists(sql`(select 1 from ${supervisors} where ${and(eq(supervisors.id, p.supervisorId), eq(supervisors.organizationId, organizations.id))})`)
      : NOTHING
    case 'trainee': return p.traineeId
      ? exists(sql`(select 1 from ${trainees} where ${and(eq(trainees.id, p.traineeId), eq(trainees.organizationId, organizations.id))})`)
      : NOTHING
    case 'integrator': return p.organizationId ? eq(organizations.id, p.organizationId) : NOTHING
  }
}

/** Coordinators their programmes; a supervisor those of their current trainees' cohorts; a trainee their own; an integrator those serving its organization. */
export function programScope(p: Principal): SQL | undefined {
  switch (p.role) {
    case 'admin': return undefined
    case 'coordinator': return within(programs.id, p.programIds)
    case 'supervisor': return p.supervisorId
      ? exists(sql`(select 1 from ${cohorts} inner join ${trainees} on ${eq(trainees.cohortId, cohorts.id)} where ${and(
          eq(cohorts.programId, programs.id), currentAssignment(p.supervisorId, trainees.id))})`)
      : NOTHING
    case 'trainee': return p.traineeId
      ? exists(sql`(select 1 from ${trainees} inner join ${cohorts} on ${eq(cohorts.id, trainees.cohortId)} where ${and(
          eq(trainees.id, p.traineeId), eq(cohorts.programId, programs.id))})`)
      : NOTHING
    case 'integrator': return servesOrganization(p.organizationId, programs.id)
  }
}

/**
 * Condition on `programs` for a programme named in a question about one trainee (their eligibility,
 * their progress report): a coordinator only their own; others also the trainee's own (their cohort's)
 * and any in which they see an observation of the trainee (a programme the trainee has left).
 */
export function traineeProgramScope(p: Principal, traineeId: string): SQL | undefined {
  if (p.role === 'admin') return undefined
  if (p.role === 'coordinator') return programScope(p)
  return or(
    programScope(p),
    exists(sql`(select 1 from ${trainees} inner join ${cohorts} on ${eq(cohorts.id, trainees.cohortId)} where ${and(
      eq(trainees.id, traineeId), eq(cohorts.programId, programs.id))})`),
    exists(sql`(select 1 from ${observations} where ${and(
      eq(observations.programId, programs.id), eq(observations.traineeId, traineeId), observationScope(p))})`)
  )
}

/** A programme named by a query (not found through programScope) that a coordinator does not run. */
export const outsideCoordinatedPrograms = (p: Principal, programId: string): boolean =>
  p.role === 'coordinator' && !p.programIds.includes(programId.toLowerCase())

export function cohortScope(p: Principal): SQL | undefined {
  switch (p.role) {
    case 'admin': return undefined
    case 'coordinator': return within(cohorts.programId, p.programIds)
    case 'supervisor': return p.supervisorId
      ? exists(sql`(select 1 from ${trainees} where ${and(eq(trainees.cohortId, cohorts.id), currentAssignment(p.supervisorId, trainees.id))})`)
      : NOTHING
    case 'trainee': return p.traineeId
      ? exists(sql`(select 1 from ${trainees} where ${and(eq(trainees.id, p.traineeId), eq(trainees.cohortId, cohorts.id))})`)
      : NOTHING
    case 'integrator': return servesOrganization(p.organizationId, cohorts.programId)
  }
}

/** Condition on `trainees`. */
export function traineeScope(p: Principal): SQL | undefined {
  switch (p.role) {
    case 'admin': return undefined
    case 'coordinator': return p.programIds.length === 0
      ? NOTHING
      : or(servedBy(p.programIds, trainees.organizationId), placedIn(p.programIds, trainees.cohortId))
    case 'supervisor': return p.supervisorId ? currentAssignment(p.supervisorId, trainees.id) : NOTHING
    case 'trainee': return p.traineeId ? eq(trainees.id, p.traineeId) : NOTHING
    case 'integrator': return p.organizationId ? eq(trainees.organizationId, p.organizationId) : NOTHING
  }
}

/**
 * The trainees whose assignments the caller may create or change: a coordinator only those placed in
 * cohorts of their programmes (a served organization's trainee in another programme is not theirs to pair).
 */
export function assignableTraineeScope(p: Principal): SQL | undefined {
  return p.role === 'coordinator' ? placedIn(p.programIds, trainees.cohortId) : traineeScope(p)
}

/** Condition on `supervisors`: coordinators those of the organizations they serve; integrators their organization's. */
export function supervisorScope(p: Principal): SQL | undefined {
  switch (p.role) {
    case 'admin': return undefined
    case 'coordinator': return servedBy(p.programIds, supervisors.organizationId)
    case 'supervisor': return p.supervisorId ? eq(supervisors.id, p.supervisorId) : NOTHING
    case 'trainee': return NOTHING
    case 'integrator': return p.organizationId ? eq(supervisors.organizationId, p.organizationId) : NOTHING
  }
}

/** Condition on `scim_users`: SCIM is an integrator's, and provisions their organization only. */
export function scimUserScope(p: Principal): SQL {
  return p.role === 'integrator' && p.organizationId ? eq(scimUsers.organizationId, p.organizationId) : NOTHING
}

/** Condition on `scim_groups` under /scim/v2: the integrator's organization only. */
export function scimGroupScope(p: Principal): SQL {
  return p.role === 'integrator' && p.organizationId ? eq(scimGroups.organizationId, p.organizationId) : NOTHING
}

/**
 * Condition on `scim_groups` under /v1 (their mapping): admins every group; integrators their
 * organization's (to read); coordinators those of the organizations their programmes serve (to read,
 * and to map to a cohort of their own programmes: see mayMapGroup). Others none.
 */
export function scimGroupMappingScope(p: Principal): SQL | undefined {
  switch (p.role) {
    case 'admin': return undefined
    case 'coordinator': return servedBy(p.programIds, scimGroups.organizationId)
    case 'integrator': return p.organizationId ? eq(scimGroups.organizationId, p.organizationId) : NOTHING
    default: return NOTHING
  }
}

/**
 * What a caller may map a group it sees to: a role only as an admin (no group grants coordinator or
 * admin, and a role decides what a person sees); a cohort as an admin, or as a coordinator of the
 * cohort's programme (cohortScope, checked with the cohort as a reference), which must serve the
 * group's organization. Returns the role that may act, when the caller may not.
 */
export function groupMappingRefusal(p: Principal, mapping: { role?: string | undefined }): string | undefined {
  if (p.role === 'admin') return undefined
  if (mapping.role !== undefined) return 'admin'
  if (p.role === 'coordinator') return undefined
  return 'admin or coordinator'
}

/** A supervisor their own assignments (past ones too); coordinators and integrators those of the trainees they see. */
export function assignmentScope(p: Principal): SQL | undefined {
  switch (p.role) {
    case 'admin': return undefined
    case 'supervisor': return p.supervisorId ? eq(assignments.supervisorId, p.supervisorId) : NOTHING
    case 'trainee': return NOTHING
    case 'coordinator':
    case 'integrator': return exists(sql`(select 1 from ${trainees} where ${and(eq(trainees.id, assignments.traineeId), traineeScope(p))})`)
  }
}

/** The assignments the caller may change: those of the trainees it may assign (see assignableTraineeScope). */
export function assignmentWriteScope(p: Principal): SQL | undefined {
  if (p.role !== 'coordinator') return assignmentScope(p)
  return exists(sql`(select 1 from ${trainees} where ${and(eq(trainees.id, assignments.traineeId), assignableTraineeScope(p))})`)
}

/**
 * Condition on `accounts`, for reads: a coordinator sees their own account, the accounts of the
 * trainees and supervisors in their scope, and the integrations of the organizations their
 * programmes serve (never another coordinator's or an admin's). They change only the accounts of
 * people (see coordinatorAccountProblems). Others see only themselves, through /me.
 */
export function accountScope(p: Principal): SQL | undefined {
  switch (p.role) {
    case 'admin': return undefined
    case 'coordinator': return or(
      eq(accounts.id, p.accountId),
      exists(sql`(select 1 from ${trainees} where ${and(eq(trainees.id, accounts.traineeId), traineeScope(p))})`),
      exists(sql`(select 1 from ${supervisors} where ${and(eq(supervisors.id, accounts.supervisorId), supervisorScope(p))})`),
      servedBy(p.programIds, accounts.organizationId)
    )
    default: return eq(accounts.id, p.accountId)
  }
}

/** Condition on `observations`. */
export function observationScope(p: Principal): SQL | undefined {
  switch (p.role) {
    case 'admin': return undefined
    case 'coordinator': return within(observations.programId, p.programIds)
    case 'supervisor': return p.supervisorId ? eq(observations.supervisorId, p.supervisorId) : NOTHING
    case 'trainee': return p.traineeId
      ? and(eq(observations.traineeId, p.traineeId), ne(observations.status, 'draft'))
      : NOTHING
    case 'integrator': return p.organizationId
      ? and(
          ne(observations.status, 'draft'),
          exists(sql`(select 1 from ${trainees} where ${and(eq(trainees.id, observations.traineeId), eq(trainees.organizationId, p.organizationId))})`)
        )
      : NOTHING
  }
}

/** Coordinators: their programs; supervisors: their current trainees'; trainees: their own; integrators: their organization's trainees'. */
export function certificateScope(p: Principal): SQL | undefined {
  switch (p.role) {
    case 'admin': return undefined
    case 'coordinator': return within(certificates.programId, p.programIds)
    case 'trainee': return p.traineeId ? eq(certificates.traineeId, p.traineeId) : NOTHING
    case 'integrator': return p.organizationId
      ? exists(sql`(select 1 from ${trainees} where ${and(eq(trainees.id, certificates.traineeId), eq(trainees.organizationId, p.organizationId))})`)
      : NOTHING
    case 'supervisor': return p.supervisorId ? currentAssignment(p.supervisorId, certificates.traineeId) : NOTHING
  }
}

/** Who reads the event feed (GET /v1/events); other roles are refused (403), they have no use for it. */
export const EVENT_READERS = ['admin', 'integrator', 'coordinator'] as const satisfies readonly Role[]

/** Who reads the mail kept without SMTP (/admin/mail): admins only, since it holds other people's sign-in links. */
export const MAIL_READERS = ['admin'] as const satisfies readonly Role[]

/**
 * Condition on `events`, by the scope keys each event was written with (src/events/subjects.ts):
 * admins every event; an integrator those of its organization; a coordinator those of their programs.
 */
export function eventScope(p: Principal): SQL | undefined {
  switch (p.role) {
    case 'admin': return undefined
    case 'integrator': return p.organizationId ? sql`${p.organizationId}::uuid = any(${events.organizationIds})` : NOTHING
    case 'coordinator': return p.programIds.length === 0
      ? NOTHING
      : sql`${events.programIds} && ${`{${p.programIds.join(',')}}`}::uuid[]`
    default: return NOTHING
  }
}

/** Integrators connect HR systems: they never receive evidence or other narrative notes. */
export const seesNarrative = (p: Principal): boolean => p.role !== 'integrator'

/** Why a certificate was revoked is the issuers' business: admins and the coordinators of its program. */
export const seesRevocationReason = (p: Principal, programId: string): boolean =>
  p.role === 'admin' || (p.role === 'coordinator' && p.programIds.includes(programId))

/**
 * Identity providers (single sign-on) decide who may become whom: admins only; for everyone else
 * an organization's provider does not exist (404).
 */
export const managesIdentityProviders = (p: Principal): boolean => p.role === 'admin'

/**
 * Webhook endpoints are integrations' plumbing: admins manage every one (their own receive every
 * organization's events); integrators their organization's; every other role none (the routes
 * answer 403 before asking).
 */
export const managesWebhooks = (p: Principal): boolean => p.role === 'admin' || (p.role === 'integrator' && p.organizationId !== null)

/** Condition on `webhook_endpoints` (and, through their endpoint, deliveries). */
export function webhookEndpointScope(p: Principal): SQL | undefined {
  if (p.role === 'admin') return undefined
  return p.role === 'integrator' && p.organizationId ? eq(webhookEndpoints.organizationId, p.organizationId) : NOTHING
}
