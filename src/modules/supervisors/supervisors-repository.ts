import { eq, sql, type SQL } from 'drizzle-orm'
import { supervisors } from '../../db/schema/index.ts'
import { containsText } from '../../lib/crud.ts'
import type { Principal } from '../../lib/request-context.ts'
import type { SupervisorListFilter } from './supervisors-schemas.ts'

const NOTHING = sql`false`

/**
 * Which supervisors the caller may see: admins and coordinators all (coordinators assign them to
 * trainees); a supervisor themself; an integrator those of its organization. Trainees none.
 */
export function supervisorScope(p: Principal): SQL | undefined {
  switch (p.role) {
    case 'admin':
    case 'coordinator': return undefined
    case 'supervisor': return p.supervisorId ? eq(supervisors.id, p.supervisorId) : NOTHING
    case 'trainee': return NOTHING
    case 'integrator': return p.organizationId ? eq(supervisors.organizationId, p.organizationId) : NOTHING
  }
}

export function supervisorFilters(q: SupervisorListFilter): (SQL | undefined)[] {
  return [
    q.organizationId === undefined ? undefined : eq(supervisors.organizationId, q.organizationId),
    q.active === undefined ? undefined : eq(supervisors.active, q.active),
    containsText([supervisors.name, supervisors.email], q.q)
  ]
}
