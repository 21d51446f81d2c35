import { and, asc, eq, inArray } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { cohorts, organizations, programOrganizations, trainees } from '../../db/schema/index.ts'

const columns = {
  programId: programOrganizations.programId,
  organizationId: programOrganizations.organizationId,
  organizationName: organizations.name,
  organizationActive: organizations.active,
  createdAt: programOrganizations.createdAt
}

export function listServed(db: Db, programId: string) {
  return db.select(columns).from(programOrganizations)
    .innerJoin(organizations, eq(organizations.id, programOrganizations.organizationId))
    .where(eq(programOrganizations.programId, programId))
    .orderBy(asc(organizations.name), asc(organizations.id))
}

export async function findServed(db: Db, programId: string, organizationId: string) {
  const [row] = await db.select(columns).from(programOrganizations)
    .innerJoin(organizations, eq(organizations.id, programOrganizations.organizationId))
    .where(and(eq(programOrganizations.programId, programId), eq(programOrganizations.organizationId, organizationId)))
  return row
}

/** True when this call made the link (false: it was already there). */
export async function insertLink(db: Db, programId: string, organizationId: string): Promise<boolean> {
  const rows = await db.insert(programOrganizations).values({ programId, organizationId }).onConflictDoNothing()
    .returning({ programId: programOrganizations.programId })
  return rows.length > 0
}

/** The link, locked until the transaction ends: placements that rely on it wait (see programServes). */
export async function lockLink(db: Db, programId: string, organizationId: string): Promise<boolean> {
  const rows = await db.select({ programId: programOrganizations.programId }).from(programOrganizations)
    .where(and(eq(programOrganizations.programId, programId), eq(programOrganizations.organizationId, organizationId)))
    .for('update')
  return rows.length > 0
}

export async function deleteLink(db: Db, programId: string, organizationId: string): Promise<void> {
  await db.delete(programOrganizations)
    .where(and(eq(programOrganizations.programId, programId), eq(programOrganizations.organizationId, organizationId)))
}

/** The active trainees of the organization placed in the program's cohorts, by name. */
export function placedTrainees(db: Db, programId: string, organizationId: string) {
  return db.select({ id: trainees.id, name: trainees.name }).from(trainees)
    .where(and(
      eq(trainees.organizationId, organizationId),
      eq(trainees.active, true),
      inArray(trainees.cohortId, db.select({ id: cohorts.id }).from(cohorts).where(eq(cohorts.programId, programId)))
    ))
    .orderBy(asc(trainees.name), asc(trainees.id))
}
