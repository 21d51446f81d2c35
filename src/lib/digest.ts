import { createHash } from 'node:crypto'

/** A short stable digest, for ids derived from content (report ids, for one). */
export const digest = (text: string, length = 8): string => createHash('sha256').update(text).digest('hex').slice(0, length)
