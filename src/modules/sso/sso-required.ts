import { and, eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { accounts, identityProviders, supervisors, trainees } from '../../db/schema/index.ts'

/**
 * Which accounts single sign-on concerns: a person's (a trainee's or supervisor's) through the
 * organization of their record. Coordinators and admins belong to no organization: they keep
 * their password and two-factor sign-in, so requiring SSO can never lock every admin out.
 */
export const accountOrganization = sql<string | null>`coalesce(
  (select ${trainees.organizationId} from ${trainees} where ${trainees.id} = ${accounts.traineeId}),
  (select ${supervisors.organizationId} from ${supervisors} where ${supervisors.id} = ${accounts.supervisorId}))`

/** The provider the account must sign in with (its organization requires SSO), else undefined. */
export async function ssoRequiredFor(db: Db, accountId: string): Promise<{ id: string; displayName: string } | undefined> {
  const [row] = await db.select({ id: identityProviders.id, displayName: identityProviders.displayName }).from(accounts)
    .innerJoin(identityProviders, eq(identityProviders.organizationId, accountOrganization))
    .where(and(eq(accounts.id, accountId), eq(identityProviders.requireSso, true)))
  return row
}
