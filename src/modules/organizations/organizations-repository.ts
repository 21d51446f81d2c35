import { and, eq, exists, sql, type SQL } from 'drizzle-orm'
import { organizations, supervisors, trainees } from '../../db/schema/index.ts'
import type { Principal } from '../../lib/request-context.ts'

const NOTHING = sql`false`

/**
 * Which organizations the caller may see: admins and coordinators all (coordinators place trainees
 * and supervisors of any site); supervisors and trainees their own; an integrator the one it serves.
 */
export function organizationScope(p: Principal): SQL | undefined {
  switch (p.role) {
    case 'admin':
    case 'coordinator': return undefined
    case 'supervisor': return p.supervisorId
      ? exists(sql`(select 1 from ${supervisors} where ${and(eq(supervisors.id, p.supervisorId), eq(supervisors.organizationId, organizations.id))})`)
      : NOTHING
    case 'trainee': return p.traineeId
      ? exists(sql`(select 1 from ${trainees} where ${and(eq(trainees.id, p.traineeId), eq(trainees.organizationId, organizations.id))})`)
      : NOTHING
    case 'integrator': return p.organizationId ? eq(organizations.id, p.organizationId) : NOTHING
  }
}
