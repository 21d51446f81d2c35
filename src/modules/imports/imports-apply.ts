import { eq, sql } from 'drizzle-orm'
import type { PgTable } from 'drizzle-orm/pg-core'
import { recordAudits, type AuditActor, type AuditEntry } from '../../db/audit.ts'
import type { Db } from '../../db/client.ts'
import { supervisors, trainees } from '../../db/schema/index.ts'
import { changedFields } from '../../lib/crud.ts'
import { recordSupervisorEvents, recordTraineeEvents, type TraineeState, type Verb } from '../../events/subjects.ts'
import { deactivateAccountOf } from '../accounts/person-accounts.ts'
import type { Kind, PlannedRow } from './imports-plan.ts'

const TABLES = { trainee: trainees, supervisor: supervisors } as const
/** Rows per INSERT: well under Postgres's 65,535 parameters at 7 columns a row. */
const INSERT_BATCH = 500

function newPerson(organizationId: string, row: PlannedRow) {
  const input = row.input!
  return {
    organizationId,
    name: input.name,
    email: input.email,
    discipline: input.discipline ?? null,
    externalHrId: input.externalHrId,
    ...(input.active === undefined ? {} : { active: input.active }),
    ...(row.kind === 'trainee' ? { cohortId: input.cohortId ?? null } : {})
  }
}

/** A person's state after the import, as its event tells it. */
interface Changed { verb: Verb; person: TraineeState; cohortBefore: string | null }

/** Events by batch: one scope lookup and one INSERT per kind and verb. */
async function recordChanges(tx: Db, actor: AuditActor | null, kind: Kind, changed: Changed[]) {
  for (const verb of ['created', 'updated', 'deactivated', 'reactivated'] as const) {
    const these = changed.filter((c) => c.verb === verb)
    if (kind === 'supervisor') await recordSupervisorEvents(tx, actor, verb, these.map((c) => c.person))
    else await recordTraineeEvents(tx, actor, verb, these.map((c) => c.person), new Map(these.map((c) => [c.person.id, c.cohortBefore])))
  }
}

/** Creates by batches: one INSERT, one audit and one events statement per batch. Sets each row's personId. */
async function createAll(tx: Db, actor: AuditActor | null, organizationId: string, kind: Kind, rows: PlannedRow[], ids: Map<PlannedRow, string>) {
  for (let i = 0; i < rows.length; i += INSERT_BATCH) {
    const batch = rows.slice(i, i + INSERT_BATCH)
    const values = batch.map((row) => newPerson(organizationId, row))
    const inserted = await tx.insert(TABLES[kind] as PgTable).values(values)
      .returning({ id: TABLES[kind].id, active: TABLES[kind].active }) as { id: string; active: boolean }[]
    const audits: AuditEntry[] = inserted.map((r, j) => {
      ids.set(batch[j]!, r.id)
      return { action: `${kind}.create`, objectType: kind, objectId: r.id, changes: { ...values[j], source: 'import' } }
    })
    await recordAudits(tx, actor, audits)
    await recordChanges(tx, actor, kind, inserted.map((r, j) => ({
      verb: 'created', cohortBefore: null,
      person: { id: r.id, organizationId, active: r.active, cohortId: (values[j] as { cohortId?: string | null }).cohortId ?? null }
    })))
  }
}

/**
 * One UPDATE per changed person (the values differ per row), revision bumped as every write does,
 * audited like PATCH and (de)activation; a deactivation also ends the person's account's access.
 */
async function updateOne(tx: Db, actor: AuditActor | null, row: PlannedRow): Promise<{ audit: AuditEntry; changed: Changed }> {
  const kind = row.kind!
  const table = TABLES[kind]
  const current = row.existing!
  const changes = changedFields(current as unknown as Record<string, unknown>, row.patch!)
  await tx.update(table as PgTable).set({ ...row.patch, revision: sql`${table.revision} + 1`, updatedAt: sql`now()` })
    .where(eq(table.id, current.id))
  const active = changes.active?.to
  const action = active === false ? 'deactivate' : active === true && Object.keys(changes).length === 1 ? 'reactivate' : 'update'
  if (active === false) await deactivateAccountOf(tx, actor, kind, current.id)
  const cohortBefore = 'cohortId' in current ? current.cohortId : null
  const cohortAfter = row.patch!.cohortId === undefined ? cohortBefore : row.patch!.cohortId as string | null
  const verb: Verb = active === false ? 'deactivated' : active === true ? 'reactivated' : 'updated'
  return {
    audit: { action: `${kind}.${action}`, objectType: kind, objectId: current.id, changes: { ...changes, source: 'import' } },
    changed: { verb, cohortBefore, person: { id: current.id, organizationId: current.organizationId, active: typeof active === 'boolean' ? active : current.active, cohortId: cohortAfter } }
  }
}

/** Writes a plan that has no error row, in the caller's transaction; answers each row's person id. */
export async function applyPlan(tx: Db, actor: AuditActor | null, organizationId: string, plan: PlannedRow[]): Promise<Map<PlannedRow, string>> {
  const ids = new Map<PlannedRow, string>()
  for (const kind of ['trainee', 'supervisor'] as const) {
    await createAll(tx, actor, organizationId, kind, plan.filter((r) => r.action === 'create' && r.kind === kind), ids)
  }
  const audits: AuditEntry[] = []
  const changed: Record<Kind, Changed[]> = { trainee: [], supervisor: [] }
  const flush = async () => {
    await recordAudits(tx, actor, audits.splice(0))
    for (const kind of ['trainee', 'supervisor'] as const) await recordChanges(tx, actor, kind, changed[kind].splice(0))
  }
  for (const row of plan) {
    if (row.action !== 'update' && row.action !== 'deactivate') continue
    const done = await updateOne(tx, actor, row)
    audits.push(done.audit)
    changed[row.kind!].push(done.changed)
    if (audits.length >= INSERT_BATCH) await flush()
  }
  await flush()
  return ids
}
