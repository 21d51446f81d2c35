import { and, eq, ne } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { supervisors, trainees } from '../../db/schema/index.ts'
import { problem } from '../../errors.ts'
import { visibleExisting } from '../../lib/existing-record.ts'
import type { Principal } from '../../lib/request-context.ts'
import { supervisorScope, traineeScope } from '../access/policy.ts'

/**
 * HR ids (`externalHrId`): the employer's id of a trainee or a supervisor, unique among the
 * organization's people of that kind (deactivated ones included: HR ids are not reused), so an HR
 * system's retried create or an email change finds the same person instead of making a second.
 */
export type PersonKind = 'trainee' | 'supervisor'

const PEOPLE = {
  trainee: { table: trainees, scope: traineeScope, url: '/v1/trainees' },
  supervisor: { table: supervisors, scope: supervisorScope, url: '/v1/supervisors' }
} as const

/** The person of the organization that already carries this HR id, if any (whoever may see it). */
export async function externalHrIdHolder(
  db: Db, kind: PersonKind, organizationId: string, externalHrId: string, exceptId?: string
): Promise<string | undefined> {
  const table = PEOPLE[kind].table
  const [row] = await db.select({ id: table.id }).from(table).where(and(
    eq(table.organizationId, organizationId),
    eq(table.externalHrId, externalHrId),
    exceptId === undefined ? undefined : ne(table.id, exceptId)
  )).limit(1)
  return row?.id
}

/** 409 hr-id-taken when another person of the kind holds the HR id, naming them when the caller may see them. */
export async function checkExternalHrIdFree(tx: Db, p: Principal, o: {
  kind: PersonKind; organizationId: string; externalHrId: string | null | undefined; exceptId?: string
}): Promise<void> {
  if (o.externalHrId == null) return
  await refuseHeldHrId(tx, p, { ...o, externalHrId: o.externalHrId }, await externalHrIdHolder(tx, o.kind, o.organizationId, o.externalHrId, o.exceptId))
}

/** checkExternalHrIdFree's verdict on the holder the caller looked up itself (one statement doing several checks). */
export async function refuseHeldHrId(tx: Db, p: Principal, o: { kind: PersonKind; externalHrId: string }, holder: string | undefined): Promise<void> {
  if (holder === undefined) return
  const { table, scope, url } = PEOPLE[o.kind]
  const existing = await visibleExisting(tx, table, holder, scope(p), url)
  throw problem('hr-id-taken',
    `Another ${o.kind} of this organization already has externalHrId "${o.externalHrId}"; HR ids are unique within an organization.`
      + (existing ? ` It is ${existing.existingUrl}.` : ''),
    { errors: [{ pointer: '/externalHrId', detail: 'is taken in this organization' }], ...(existing ? { extensions: { ...existing } } : {}) })
}
