import { ERRORS } from '../errors.ts'

/** Strong ETag of a record that carries a revision counter. */
export const etagOf = (id: string, revision: number): string => `"${id}.${revision}"`

/**
 * A write to a record that others may edit must carry the ETag the client last read. Missing: 428;
 * stale: 412 (the caller's change is not applied, nothing is lost).
 */
export function checkIfMatch(ifMatch: string | undefined, currentEtag: string): void {
  if (ifMatch === undefined || ifMatch.trim() === '') throw ERRORS.preconditionRequired()
  const candidates = ifMatch.split(',').map((s) => s.trim().replace(/^W\//, ''))
  if (!candidates.includes(currentEtag) && !candidates.includes('*')) throw ERRORS.preconditionFailed(currentEtag)
}
