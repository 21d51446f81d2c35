import { problem } from '../../errors.ts'

/**
 * The feed's cursor: a position in feed order ("after feed sequence n"), opaque to clients
 * (base64url of `['ev', n]`), so the mechanism behind it may change without breaking them.
 */
export const encodeFeedCursor = (seq: number): string => Buffer.from(JSON.stringify(['ev', seq])).toString('base64url')

export function decodeFeedCursor(cursor: string): number {
  try {
    const [kind, seq] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown]
    if (kind === 'ev' && typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0) return seq
  } catch {
    // fall through: every malformed cursor gets the same answer
  }
  throw problem('cursor-invalid', 'The after cursor is not one this service handed out; start without after, or pass a nextCursor.', {
    errors: [{ pointer: '/query/after', detail: 'is not a cursor of the events feed' }]
  })
}
