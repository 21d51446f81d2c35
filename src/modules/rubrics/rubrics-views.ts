import type { RubricDetailView, RubricSummaryView, RubricVersionSummaryView, RubricVersionView } from './rubric-schemas.ts'
import type { RubricListRow, RubricRow, RubricVersionRow, RubricVersionWithKey } from './rubrics-repository.ts'

/**
 * A version's representation changes only with its content or its status (publishing), so the
 * ETag is derived from exactly those: equal content gives an equal tag.
 */
export const versionEtag = (v: Pick<RubricVersionRow, 'id' | 'status' | 'contentHash'>): string =>
  `"${v.id}.${v.status}.${v.contentHash.slice(0, 16)}"`

export function toVersionSummary(v: Omit<RubricVersionRow, 'definition'>): RubricVersionSummaryView {
  return {
    id: v.id, version: v.version, status: v.status, title: v.title, contentHash: v.contentHash,
    createdAt: v.createdAt.toISOString(), publishedAt: v.publishedAt?.toISOString() ?? null
  }
}

export function toVersion(v: RubricVersionWithKey): RubricVersionView {
  return { ...toVersionSummary(v), rubricId: v.rubricId, key: v.key, definition: v.definition }
}

export function toSummary(r: RubricListRow): RubricSummaryView {
  return {
    id: r.id, key: r.key, title: r.title, latestPublishedVersion: r.latestPublishedVersion,
    draftVersion: r.draftVersion, createdAt: r.createdAt.toISOString()
  }
}

/** `versions` newest first, already limited to what the caller may see. */
export function toDetail(rubric: RubricRow, versions: Omit<RubricVersionRow, 'definition'>[]): RubricDetailView {
  const published = versions.find((v) => v.status === 'published')
  const draft = versions.find((v) => v.status === 'draft')
  return {
    id: rubric.id, key: rubric.key, title: (published ?? draft)?.title ?? rubric.key,
    latestPublishedVersion: published?.version ?? null, draftVersion: draft?.version ?? null,
    createdAt: rubric.createdAt.toISOString(), versions: versions.map(toVersionSummary)
  }
}
