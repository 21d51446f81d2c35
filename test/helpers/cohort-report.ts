import type { Db } from '../../src/db/client.ts'
import { observationScores, observations } from '../../src/db/schema/index.ts'

export interface SeedObservation {
  traineeId: string
  supervisorId: string
  programId: string
  rubricVersionId: string
  sessionDate: string
  status?: 'draft' | 'submitted' | 'acknowledged'
  /** Level by criterion key; null = "not observed". */
  levels: Record<string, number | null>
}

/** An observation with its scores, inserted directly: reports read what observations leave behind. */
export async function seedObservation(db: Db, o: SeedObservation) {
  const status = o.status ?? 'submitted'
  const [row] = await db.insert(observations).values({
    traineeId: o.traineeId, supervisorId: o.supervisorId, programId: o.programId, rubricVersionId: o.rubricVersionId,
    status, sessionDate: o.sessionDate, durationMinutes: 50, setting: 'clinic', modality: 'in_person',
    submittedAt: status === 'draft' ? null : new Date(`${o.sessionDate}T12:00:00Z`),
    acknowledgedAt: status === 'acknowledged' ? new Date(`${o.sessionDate}T13:00:00Z`) : null
  }).returning()
  await db.insert(observationScores).values(Object.entries(o.levels).map(([criterionKey, level]) => ({
    observationId: row!.id, areaKey: 'x', criterionKey, levelValue: level, notObserved: level === null
  })))
  return row!
}

/** A small RFC 4180 parser (quoted fields, doubled quotes, CRLF), strict enough to catch a broken writer. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = []
  let field = ''
  let record: string[] = []
  let i = 0
  while (i < text.length) {
    const c = text[i]!
    if (c === '"' && field === '') {
      i++
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted field')
        if (text[i] === '"') {
          if (text[i + 1] === '"') { field += '"'; i += 2; continue }
          i++
          break
        }
        field += text[i++]
      }
      if (i < text.length && text[i] !== ',' && text[i] !== '\r') throw new Error(`junk after quoted field at ${i}`)
      continue
    }
    if (c === ',') { record.push(field); field = ''; i++; continue }
    if (c === '\r') {
      if (text[i + 1] !== '\n') throw new Error(`bare CR at ${i}`)
      record.push(field); records.push(record); record = []; field = ''; i += 2; continue
    }
    if (c === '\n') throw new Error(`bare LF at ${i}`)
    field += c
    i++
  }
  if (field !== '' || record.length > 0) throw new Error('last record not terminated by CRLF')
  return records
}
