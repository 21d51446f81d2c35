import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { preparedStatement } from '../../db/prepared.ts'
import { accounts, auditEvents, events, organizations, programOrganizations, scimUsers, supervisors, trainees } from '../../db/schema/index.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import type { PersonRole, UserState } from './user-mapping.ts'
import type { UserRow } from './users-repository.ts'

/**
 * The hot path of an identity provider creating a user (POST /scim/v2/Users), in two
 * statements (the write prepared) where the services' own calls took fifteen: one reads everything the create's checks
 * need (the users-service decides, with the services' own verdicts, in their order), one writes
 * the person, its account, the scim_users row, their three audit rows and the person's
 * trainee.created or supervisor.created event (scope keys as src/events/subjects.ts gives them: a
 * supervisor's programs are those serving the organization; a new trainee sits in no cohort) (inserts chained in a
 * WITH: atomic, foreign keys checked at its end) and returns the new user's row. The unique
 * indexes (userName, email, HR id) still refuse a create that raced past the checks.
 */
const p = (name: string) => sql.placeholder(name)

export interface CreateChecks {
  userNameTaken: boolean
  /** Null when the organization does not exist. */
  provisioningRole: PersonRole | null
  organizationActive: boolean | null
  traineeHrHolder: string | null
  supervisorHrHolder: string | null
  emailHolder: { traineeId: string | null; supervisorId: string | null } | undefined
}

interface ChecksRow {
  user_name_taken: boolean; provisioning_role: PersonRole | null; organization_active: boolean | null
  trainee_hr_holder: string | null; supervisor_hr_holder: string | null
  email_account_id: string | null; email_trainee_id: string | null; email_supervisor_id: string | null
}

// The organization is the integrator's own (SCIM admits integrator keys only), so it is within the
// integrator's organizationScope (policy.ts: its own id) by construction.
// Not prepared, on purpose: a generic plan made while an organization's first users arrive (tables
// nearly empty) may find userName through scim_users_org_created_idx, scanning every user of the
// organization once it has thousands. Planned with the values each time, it uses the unique indexes.
const checksQuery = (q: { organizationId: string; userName: string; externalHrId: string | null; email: string | null }) => sql`
  select
    exists (select 1 from ${scimUsers} where organization_id = ${q.organizationId} and lower(user_name) = lower(${q.userName})) as user_name_taken,
    o.provisioning_role, o.active as organization_active,
    (select id from ${trainees} where organization_id = ${q.organizationId} and external_hr_id = ${q.externalHrId} limit 1) as trainee_hr_holder,
    (select id from ${supervisors} where organization_id = ${q.organizationId} and external_hr_id = ${q.externalHrId} limit 1) as supervisor_hr_holder,
    a.id as email_account_id, a.trainee_id as email_trainee_id, a.supervisor_id as email_supervisor_id
  from (select 1) as one
  left join ${organizations} o on o.id = ${q.organizationId}
  left join ${accounts} a on lower(a.email) = lower(${q.email})`

export async function createChecks(db: Db, organizationId: string, s: UserState): Promise<CreateChecks> {
  const { rows: [r] } = await db.execute(checksQuery({ organizationId, userName: s.userName, externalHrId: s.externalHrId, email: s.email })) as unknown as { rows: ChecksRow[] }
  return {
    userNameTaken: r!.user_name_taken,
    provisioningRole: r!.provisioning_role,
    organizationActive: r!.organization_active,
    traineeHrHolder: r!.trainee_hr_holder,
    supervisorHrHolder: r!.supervisor_hr_holder,
    emailHolder: r!.email_account_id === null ? undefined : { traineeId: r!.email_trainee_id, supervisorId: r!.email_supervisor_id }
  }
}

interface InsertedRow {
  name: string; email: string; discipline: string | null; external_hr_id: string | null; active: boolean; person_revision: number
  revision: number; created_at: string; last_modified: string
}

const insertStatement = (role: PersonRole) => preparedStatement<InsertedRow>(`scim_user_create_${role}`, () => {
  const person = role === 'trainee' ? trainees : supervisors
  const link = sql.raw(role === 'trainee' ? 'trainee_id' : 'supervisor_id')
  return sql`
    with person as (
      insert into ${person} (id, organization_id, name, email, discipline, external_hr_id)
      values (${p('personId')}, ${p('organizationId')}, ${p('name')}, ${p('email')}, ${p('discipline')}, ${p('externalHrId')})
      returning name, email, discipline, external_hr_id, active, revision, updated_at
    ), account as (
      insert into ${accounts} (id, role, name, email, ${link}) values (${p('accountId')}, ${p('role')}, ${p('name')}, ${p('email')}, ${p('personId')})
    ), scim_user as (
      insert into ${scimUsers} (id, organization_id, ${link}, user_name, external_id, given_name, family_name, formatted_name,
        display_name, department, manager_id, manager_display_name)
      values (${p('id')}, ${p('organizationId')}, ${p('personId')}, ${p('userName')}, ${p('externalId')}, ${p('givenName')}, ${p('familyName')},
        ${p('formattedName')}, ${p('displayName')}, ${p('department')}, ${p('managerId')}, ${p('managerDisplayName')})
      returning revision, created_at, updated_at
    ), audit as (
      insert into ${auditEvents} (actor_account_id, request_id, action, object_type, object_id, changes)
      select actor_account_id, request_id, action, object_type, object_id, changes
      from json_populate_recordset(null::${auditEvents}, ${p('audit')}::json)
    ), event as (
      insert into ${events} (type, subject_type, subject_id, organization_ids, program_ids, actor_account_id, request_id, data)
      select ${p('eventType')}, ${role}, ${p('personId')}, array[${p('organizationId')}::uuid],
        ${role === 'supervisor'
          ? sql`array(select program_id from ${programOrganizations} where organization_id = ${p('organizationId')})`
          : sql`'{}'::uuid[]`},
        ${p('actorAccountId')}, ${p('requestId')}, ${p('eventData')}::jsonb
      where ${p('withEvent')}::boolean
    )
    select person.name, person.email, person.discipline, person.external_hr_id, person.active, person.revision as person_revision,
      scim_user.revision, scim_user.created_at, greatest(scim_user.updated_at, person.updated_at) as last_modified
    from person, scim_user`
})

/** A timestamp as drizzle maps the column (the driver gives its text). */
const asDate = (raw: string): Date => scimUsers.createdAt.mapFromDriverValue(raw) as Date

const INSERTS = { trainee: insertStatement('trainee'), supervisor: insertStatement('supervisor') }

/**
 * Writes what createTrainee or createSupervisor, createAccountFor and the scim_users insert write,
 * with the same audit rows (actions, object ids, changes) in the same order, and returns the user
 * as findUser reads it.
 */
export async function insertUser(db: Db, ctx: RequestContext, role: PersonRole, organizationId: string, s: UserState): Promise<UserRow> {
  const id = randomUUID()
  const personId = randomUUID()
  const accountId = randomUUID()
  const link = role === 'trainee' ? { traineeId: personId } : { supervisorId: personId }
  const personValues = role === 'trainee'
    ? { organizationId, cohortId: null, name: s.name, email: s.email, discipline: s.discipline, externalHrId: s.externalHrId }
    : { organizationId, name: s.name, email: s.email, discipline: s.discipline, externalHrId: s.externalHrId }
  const accountValues = { role, name: s.name, email: s.email, ...link }
  const fields = {
    userName: s.userName, externalId: s.externalId, givenName: s.givenName, familyName: s.familyName, formattedName: s.formattedName,
    displayName: s.displayName, department: s.department, managerId: s.managerId, managerDisplayName: s.managerDisplayName
  }
  const scimValues = { organizationId, ...fields, ...link }
  const audit = (action: string, objectType: string, objectId: string, changes: Record<string, unknown>) => ({
    actor_account_id: ctx.principal.accountId, request_id: ctx.requestId, action, object_type: objectType, object_id: objectId, changes
  })
  const { rows: [r] } = await INSERTS[role](db, {
    id, personId, accountId, role, organizationId, name: s.name, email: s.email, discipline: s.discipline, externalHrId: s.externalHrId, ...fields,
    eventType: `${role}.created`, actorAccountId: ctx.principal.accountId, requestId: ctx.requestId, withEvent: !ctx.eventsOff,
    eventData: JSON.stringify({ [`${role}Id`]: personId, organizationId, active: true, links: { self: `/v1/${role}s/${personId}` } }),
    audit: JSON.stringify([
      audit(`${role}.create`, role, personId, personValues),
      audit('account.create', 'account', accountId, accountValues),
      audit('scim_user.create', 'scim_user', id, scimValues)
    ])
  })
  return {
    id, organizationId, traineeId: role === 'trainee' ? personId : null, supervisorId: role === 'supervisor' ? personId : null, ...fields,
    revision: r!.revision, created: asDate(r!.created_at),
    name: r!.name, email: r!.email, discipline: r!.discipline, externalHrId: r!.external_hr_id, active: r!.active,
    personRevision: r!.person_revision, role, lastModified: asDate(r!.last_modified)
  }
}
