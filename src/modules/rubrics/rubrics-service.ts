import type { Db } from '../../db/client.ts'
import { ERRORS, problem } from '../../errors.ts'
import { checkIfMatch } from '../../lib/etag.ts'
import { decodeCursor, toPage } from '../../lib/pagination.ts'
import type { RequestContext } from '../../lib/request-context.ts'
import { recordAudit } from '../../db/audit.ts'
import { recordRubricPublished } from '../../events/subjects.ts'
import type { RubricDefinition, RubricDetailView, RubricSummaryView, RubricVersionView } from './rubric-schemas.ts'
import { contentHashOf, definitionProblems, under } from './rubric-validation.ts'
import * as repo from './rubrics-repository.ts'
import { toDetail, toSummary, toVersion, versionEtag } from './rubrics-views.ts'

/** Drafts are an admin's work in progress; every other role sees published versions only. */
const seesDrafts = (ctx: RequestContext) => ctx.principal.role === 'admin'

function assertValid(definition: RubricDefinition): string {
  const problems = definitionProblems(definition)
  if (problems.length > 0) throw ERRORS.validation(under('/definition', problems), 'The rubric definition has problems; see errors for each one.')
  return contentHashOf(definition)
}

async function rubricOrNotFound(db: Db, key: string) {
  const rubric = await repo.findRubricByKey(db, key)
  if (!rubric) throw ERRORS.notFound(`rubric "${key}"`)
  return rubric
}

async function versionOrNotFound(db: Db, ctx: RequestContext, key: string, version: number | 'latest') {
  const rubric = await rubricOrNotFound(db, key)
  const row = await repo.findVersion(db, rubric.id, version)
  if (!row || (row.status === 'draft' && !seesDrafts(ctx))) {
    throw ERRORS.notFound(version === 'latest' ? `published version of rubric "${key}"` : `version ${version} of rubric "${key}"`)
  }
  return row
}

/** Publishing content identical to what is already in force would only add noise to the history. */
async function assertChangedFromLatest(db: Db, rubricId: string, contentHash: string): Promise<void> {
  const latest = await repo.findVersion(db, rubricId, 'latest')
  if (latest?.contentHash === contentHash) {
    throw problem('rubric-version-unchanged', `Nothing changed: the definition is identical to published version ${latest.version}.`, { extensions: { publishedVersion: latest.version } })
  }
}

async function rubricDetail(db: Db, ctx: RequestContext, key: string): Promise<RubricDetailView> {
  const rubric = await rubricOrNotFound(db, key)
  const versions = await repo.listVersions(db, rubric.id, !seesDrafts(ctx))
  if (versions.length === 0 && !seesDrafts(ctx)) throw ERRORS.notFound(`rubric "${key}"`)
  return toDetail(rubric, versions)
}

export async function createRubric(db: Db, ctx: RequestContext, body: { key: string; definition: RubricDefinition; publish?: boolean }): Promise<RubricDetailView> {
  const contentHash = assertValid(body.definition)
  return db.transaction(async (tx) => {
    if (await repo.findRubricByKey(tx, body.key)) throw problem('rubric-key-taken', `A rubric with key "${body.key}" already exists; add a version to it instead.`)
    const rubric = await repo.insertRubric(tx, body.key)
    await recordAudit(tx, ctx, { action: 'rubric.create', objectType: 'rubric', objectId: rubric.id, changes: { key: body.key } })
    const version = await repo.insertVersion(tx, {
      rubricId: rubric.id, version: 1, definition: body.definition, contentHash, publish: body.publish === true, createdBy: ctx.principal.accountId
    })
    await auditNewVersion(tx, ctx, body.key, version)
    return rubricDetail(tx, ctx, body.key)
  })
}

/** Audits a new version with its whole content, so the log alone can tell what each version said. */
export async function auditNewVersion(tx: Db, ctx: RequestContext | null, key: string, v: repo.RubricVersionRow, extra: Record<string, unknown> = {}) {
  await recordAudit(tx, ctx, {
    action: 'rubric_version.create', objectType: 'rubric_version', objectId: v.id,
    changes: { rubricKey: key, version: v.version, status: v.status, contentHash: v.contentHash, definition: v.definition, ...extra }
  })
  if (v.status === 'published') await recordRubricPublished(tx, ctx, { rubricId: v.rubricId, rubricKey: key, version: v.version, rubricVersionId: v.id })
}

export async function createVersion(db: Db, ctx: RequestContext, key: string, body: { definition: RubricDefinition; publish?: boolean }): Promise<RubricVersionView> {
  const contentHash = assertValid(body.definition)
  return db.transaction(async (tx) => {
    const rubric = await rubricOrNotFound(tx, key)
    const draft = await repo.findDraft(tx, rubric.id)
    if (draft) {
      throw problem('rubric-draft-open',
        `Rubric "${key}" already has an open draft, version ${draft.version}: change it with PATCH /v1/rubrics/${key}/versions/${draft.version}, or publish it, before starting another.`,
        { extensions: { draftVersion: draft.version } }
      )
    }
    if (body.publish) await assertChangedFromLatest(tx, rubric.id, contentHash)
    const next = (await repo.maxVersion(tx, rubric.id)) + 1
    const row = await repo.insertVersion(tx, {
      rubricId: rubric.id, version: next, definition: body.definition, contentHash, publish: body.publish === true, createdBy: ctx.principal.accountId
    })
    await auditNewVersion(tx, ctx, key, row)
    return toVersion({ ...row, key })
  })
}

export async function updateDraft(db: Db, ctx: RequestContext, key: string, version: number, definition: RubricDefinition, ifMatch: string | undefined) {
  return db.transaction(async (tx) => {
    const current = await versionOrNotFound(tx, ctx, key, version)
    if (current.status === 'published') {
      throw problem('rubric-version-published', `Version ${version} of rubric "${key}" is published and can no longer change; add a new version with POST /v1/rubrics/${key}/versions.`)
    }
    if (ifMatch !== undefined) checkIfMatch(ifMatch, versionEtag(current))
    const contentHash = assertValid(definition)
    if (contentHash === current.contentHash) return toVersion(current)
    const row = await repo.updateDraft(tx, current.id, definition, contentHash)
    if (!row) throw problem('rubric-version-published', `Version ${version} of rubric "${key}" was published meanwhile and can no longer change.`)
    await recordAudit(tx, ctx, {
      action: 'rubric_version.update', objectType: 'rubric_version', objectId: row.id,
      changes: { rubricKey: key, version, contentHash: { from: current.contentHash, to: contentHash }, definition }
    })
    return toVersion({ ...row, key })
  })
}

export async function publishVersion(db: Db, ctx: RequestContext, key: string, version: number, ifMatch: string | undefined) {
  return db.transaction(async (tx) => {
    const current = await versionOrNotFound(tx, ctx, key, version)
    if (current.status === 'published') throw problem('rubric-version-published', `Version ${version} of rubric "${key}" is already published.`)
    if (ifMatch !== undefined) checkIfMatch(ifMatch, versionEtag(current))
    await assertChangedFromLatest(tx, current.rubricId, current.contentHash)
    const row = await repo.publishDraft(tx, current.id)
    if (!row) throw problem('rubric-version-published', `Version ${version} of rubric "${key}" is already published.`)
    await recordAudit(tx, ctx, {
      action: 'rubric_version.publish', objectType: 'rubric_version', objectId: row.id,
      changes: { rubricKey: key, version, status: { from: 'draft', to: 'published' }, contentHash: row.contentHash }
    })
    await recordRubricPublished(tx, ctx, { rubricId: row.rubricId, rubricKey: key, version, rubricVersionId: row.id })
    return toVersion({ ...row, key })
  })
}

export async function listRubrics(db: Db, ctx: RequestContext, query: { limit: number; cursor?: string; published?: boolean }): Promise<{ items: RubricSummaryView[]; nextCursor: string | null }> {
  const rows = await repo.listRubrics(db, {
    limit: query.limit, cursor: decodeCursor(query.cursor), publishedOnly: !seesDrafts(ctx), published: query.published
  })
  const page = toPage(rows, query.limit)
  return { items: page.items.map(toSummary), nextCursor: page.nextCursor }
}

export const getRubric = (db: Db, ctx: RequestContext, key: string) => rubricDetail(db, ctx, key)

export async function getVersion(db: Db, ctx: RequestContext, key: string, version: number | 'latest'): Promise<RubricVersionView> {
  return toVersion(await versionOrNotFound(db, ctx, key, version))
}
