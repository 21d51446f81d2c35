import { eq, type SQL } from 'drizzle-orm'
import { supervisors } from '../../db/schema/index.ts'
import { containsText } from '../../lib/crud.ts'
import type { SupervisorListFilter } from './supervisors-schemas.ts'

export function supervisorFilters(q: SupervisorListFilter): (SQL | undefined)[] {
  return [
    q.organizationId === undefined ? undefined : eq(supervisors.organizationId, q.organizationId),
    q.externalHrId === undefined ? undefined : eq(supervisors.externalHrId, q.externalHrId),
    q.active === undefined ? undefined : eq(supervisors.active, q.active),
    containsText([supervisors.name, supervisors.email], q.q)
  ]
}
