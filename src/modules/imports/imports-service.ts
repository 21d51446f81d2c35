import { recordAudit, type AuditActor } from '../../db/audit.ts'
import type { Db } from '../../db/client.ts'
import { organizations } from '../../db/schema/index.ts'
import { problem } from '../../errors.ts'
import { getRow } from '../../lib/crud.ts'
import type { Principal } from '../../lib/request-context.ts'
import { organizationScope } from '../access/policy.ts'
import { applyPlan } from './imports-apply.ts'
import type { RawRow } from './imports-parse.ts'
import { planImport, type PlannedRow } from './imports-plan.ts'
import type { ImportReportT, ImportRowResultT, ImportTotalsT } from './imports-schemas.ts'

export interface ImportOptions { dryRun: boolean; full: boolean; format: 'csv' | 'json' }

/** The rows, read only once the caller is known to see the organization (so a stranger's upload is not read). */
export type RowSource = () => Promise<RawRow[]>

function reportOf(organizationId: string, o: ImportOptions, plan: PlannedRow[], applied: boolean, ids: Map<PlannedRow, string>, rows: number): ImportReportT {
  const totals: ImportTotalsT = { rows, create: 0, update: 0, unchanged: 0, deactivate: 0, error: 0 }
  const results: ImportRowResultT[] = plan.map((r) => {
    totals[r.action]++
    return {
      line: r.line, action: r.action, externalHrId: r.externalHrId, role: r.kind,
      personId: r.existing?.id ?? ids.get(r) ?? null, message: r.message, ...(r.field === undefined ? {} : { field: r.field })
    }
  })
  return { organizationId, dryRun: o.dryRun, mode: o.full ? 'full' : 'upsert', applied, totals, rows: results }
}

/**
 * An HR export into the organization's trainees and supervisors, all or nothing, in one
 * transaction: the plan is made with the people it touches locked, then written, then the import
 * itself is audited once with its totals. A plan with any error row writes nothing and is refused
 * (422 `import-rows-invalid`) with the same report a dry run gives.
 */
export async function importPeople(
  db: Db, who: { principal: Principal; actor: AuditActor | null }, organizationId: string, source: RowSource, o: ImportOptions
): Promise<ImportReportT> {
  // Scope first: an organization the caller cannot see is a 404 before the file is read.
  await getRow(db, organizations, organizationId, organizationScope(who.principal), 'organization')
  const raw = await source()
  return db.transaction(async (tx) => {
    const plan = await planImport(tx, who.principal, organizationId, raw, { full: o.full, lock: !o.dryRun })
    const errors = plan.filter((r) => r.action === 'error')
    if (o.dryRun) return reportOf(organizationId, o, plan, false, new Map(), raw.length)
    if (errors.length > 0) {
      const report = reportOf(organizationId, o, plan, false, new Map(), raw.length)
      throw problem('import-rows-invalid', `${errors.length} row${errors.length === 1 ? '' : 's'} cannot be imported, so nothing was changed; \`report\` lists every row.`, {
        errors: errors.slice(0, 1000).map((r) => ({
          pointer: r.line === null ? `/externalHrId/${r.externalHrId ?? ''}` : `/line/${r.line}${r.field === undefined ? '' : `/${r.field}`}`,
          detail: r.line === null ? r.message : `line ${r.line}: ${r.message}`
        })),
        extensions: { report }
      })
    }
    const ids = await applyPlan(tx, who.actor, organizationId, plan)
    const report = reportOf(organizationId, o, plan, true, ids, raw.length)
    await recordAudit(tx, who.actor, {
      action: 'people.import', objectType: 'organization', objectId: organizationId,
      changes: { format: o.format, mode: report.mode, totals: report.totals }
    })
    return report
  })
}
