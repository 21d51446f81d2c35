import { sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { recordAudit } from '../../db/audit.ts'
import { recordRubricPublished } from '../../events/subjects.ts'
import { listRubricFiles, loadRubricFiles, RubricFilesInvalid, type FileProblem, type LoadedRubric } from './rubric-files.ts'
import { contentHashOf } from './rubric-validation.ts'
import * as repo from './rubrics-repository.ts'
import { auditNewVersion } from './rubrics-service.ts'

export interface ImportedRubric {
  key: string
  version: number
  /** created: a new version was published; unchanged: the file matches the latest published version. */
  outcome: 'created' | 'unchanged'
}

/** Publishes every rubric file in `dir` whose content differs from its latest published version. */
export async function importRubricDirectory(db: Db, dir: string): Promise<ImportedRubric[]> {
  return importRubricFiles(db, [dir])
}

/**
 * Files and directories alike. Every file is read and validated before anything is written, and
 * all writes happen in one transaction: either every rubric is imported or none is.
 */
export async function importRubricFiles(db: Db, paths: string[]): Promise<ImportedRubric[]> {
  return importLoadedRubrics(db, await loadRubricFiles(await listRubricFiles(paths)))
}

/** Imports rubrics already read and validated by loadRubricFiles. */
export async function importLoadedRubrics(db: Db, loaded: LoadedRubric[]): Promise<ImportedRubric[]> {
  if (loaded.length === 0) return []
  return db.transaction(async (tx) => {
    // Two processes starting together must not both create the same rubric.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('rapport.rubric-import'))`)
    const plans: Plan[] = []
    for (const rubric of loaded) plans.push(await plan(tx, rubric))
    const conflicts = plans.flatMap((p) => (p.kind === 'conflict' ? [p.problem] : []))
    if (conflicts.length > 0) throw new RubricFilesInvalid(conflicts)
    const results: ImportedRubric[] = []
    for (const p of plans) if (p.kind !== 'conflict') results.push(await apply(tx, p))
    return results
  })
}

type Plan =
  | { kind: 'new'; rubric: LoadedRubric; hash: string }
  | { kind: 'unchanged'; rubric: LoadedRubric; version: number }
  | { kind: 'publish-draft'; rubric: LoadedRubric; draft: repo.RubricVersionRow }
  | { kind: 'next'; rubric: LoadedRubric; hash: string; rubricId: string; version: number }
  | { kind: 'conflict'; problem: FileProblem }

async function plan(tx: Db, rubric: LoadedRubric): Promise<Plan> {
  const hash = contentHashOf(rubric.definition)
  const existing = await repo.findRubricByKey(tx, rubric.key)
  if (!existing) return { kind: 'new', rubric, hash }
  const latest = await repo.findVersion(tx, existing.id, 'latest')
  if (latest?.contentHash === hash) return { kind: 'unchanged', rubric, version: latest.version }
  const draft = await repo.findDraft(tx, existing.id)
  if (!draft) return { kind: 'next', rubric, hash, rubricId: existing.id, version: (await repo.maxVersion(tx, existing.id)) + 1 }
  // The file and an admin's open draft both claim the next version; only agreement settles it.
  if (draft.contentHash === hash) return { kind: 'publish-draft', rubric, draft }
  return {
    kind: 'conflict',
    problem: {
      file: rubric.file, pointer: '/key',
      detail: `rubric "${rubric.key}" has an unpublished draft (version ${draft.version}) that differs from this file; ` +
        `publish the draft (POST /v1/rubrics/${rubric.key}/versions/${draft.version}/publish) or make it match this file, then import again`
    }
  }
}

async function apply(tx: Db, p: Exclude<Plan, { kind: 'conflict' }>): Promise<ImportedRubric> {
  const { key, file, definition } = p.rubric
  switch (p.kind) {
    case 'unchanged':
      return { key, version: p.version, outcome: 'unchanged' }
    case 'publish-draft': {
      const row = await repo.publishDraft(tx, p.draft.id)
      await recordAudit(tx, null, {
        action: 'rubric_version.publish', objectType: 'rubric_version', objectId: p.draft.id,
        changes: { rubricKey: key, version: p.draft.version, status: { from: 'draft', to: 'published' }, contentHash: p.draft.contentHash, source: 'import', file }
      })
      await recordRubricPublished(tx, null, { rubricId: p.draft.rubricId, rubricKey: key, version: p.draft.version, rubricVersionId: p.draft.id })
      return { key, version: row?.version ?? p.draft.version, outcome: 'created' }
    }
    case 'new':
    case 'next': {
      let rubricId: string
      if (p.kind === 'new') {
        const rubric = await repo.insertRubric(tx, key)
        await recordAudit(tx, null, { action: 'rubric.create', objectType: 'rubric', objectId: rubric.id, changes: { key, source: 'import', file } })
        rubricId = rubric.id
      } else {
        rubricId = p.rubricId
      }
      const row = await repo.insertVersion(tx, {
        rubricId, version: p.kind === 'new' ? 1 : p.version, definition, contentHash: p.hash, publish: true, createdBy: null
      })
      await auditNewVersion(tx, null, key, row, { source: 'import', file })
      return { key, version: row.version, outcome: 'created' }
    }
  }
}
