import { Type, type Static } from 'typebox'
import { Uuid } from '../../lib/schemas.ts'
import { bodyValidator, unstorableText } from '../../plugins/validation.ts'
import { Discipline, Email, PersonName } from '../trainees/trainees-schemas.ts'
import { isImportColumn, type RawRow } from './imports-parse.ts'
import type { ImportColumn } from './imports-schemas.ts'

/**
 * One row, checked with the API's own field schemas (a name, an email, a discipline the API would
 * refuse is refused here too). Empty cells and JSON nulls mean "leave as it is", so a file need
 * not carry every column; only externalHrId, name, email and role are required.
 */
const RowSchema = Type.Object({
  externalHrId: Type.String({ minLength: 1, maxLength: 100 }),
  name: PersonName,
  email: Email,
  role: Type.Union([Type.Literal('trainee'), Type.Literal('supervisor')]),
  discipline: Type.Optional(Discipline),
  cohortId: Type.Optional(Uuid),
  active: Type.Optional(Type.Boolean())
}, { additionalProperties: false })

export type ImportRowInput = Static<typeof RowSchema>
const validate = bodyValidator(RowSchema)

export interface RowProblem { field?: ImportColumn | undefined; message: string }

const TRUE = new Set(['true', 'yes', '1'])
const FALSE = new Set(['false', 'no', '0'])
const trimmed: readonly ImportColumn[] = ['name', 'email', 'role', 'discipline', 'cohortId', 'active']

/** CSV strings and JSON values alike: trims what is not an id, reads `active`, drops empties. */
function normalize(cells: RawRow['cells']): { values: Record<string, unknown> } | { problem: RowProblem } {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(cells)) {
    if (!isImportColumn(key)) return { problem: { message: `unknown field "${key.slice(0, 100)}"` } }
    if (value === null || value === undefined) continue
    if (key === 'externalHrId' && typeof value !== 'string') {
      return { problem: { field: key, message: 'externalHrId must be text (an HR id is kept exactly as written: 012345 is not 12345)' } }
    }
    let v: unknown = typeof value === 'string' && trimmed.includes(key) ? value.trim() : value
    // An HR id is kept as written, but one of only spaces is no id at all.
    if (v === '' || (key === 'externalHrId' && (v as string).trim() === '')) continue
    if (key === 'role' && typeof v === 'string') v = v.toLowerCase()
    if (key === 'active' && typeof v === 'string') {
      const word = v.toLowerCase()
      if (TRUE.has(word)) v = true
      else if (FALSE.has(word)) v = false
      else return { problem: { field: key, message: `active must be true or false, not "${v.slice(0, 40)}"` } }
    }
    out[key] = v
  }
  return { values: out }
}

const PLAIN: Record<string, string> = {
  required: 'is missing', format: 'is not valid', minLength: 'is empty', maxLength: 'is too long', type: 'has the wrong type'
}

/** The row as an import input, or the first problem with it, in plain words naming the column. */
export function checkRow(row: RawRow): { input: ImportRowInput } | { problem: RowProblem } {
  const unstorable = unstorableText(row.cells, '')
  if (unstorable) return { problem: { field: fieldOf(unstorable.pointer), message: `${fieldOf(unstorable.pointer) ?? 'a value'} contains NUL or a broken character` } }
  const normalized = normalize(row.cells)
  if ('problem' in normalized) return normalized
  const issues = validate(normalized.values)
  if (issues.length === 0) return { input: normalized.values as ImportRowInput }
  const issue = issues[0]!
  const field = issue.keyword === 'required' ? String(issue.params.missingProperty) : fieldOf(issue.instancePath)
  const what = field === 'role' && issue.keyword !== 'required' ? 'must be trainee or supervisor' : PLAIN[issue.keyword] ?? issue.message ?? 'is not valid'
  return { problem: { field: field !== undefined && isImportColumn(field) ? field : undefined, message: `${field ?? 'the row'} ${what}` } }
}

function fieldOf(pointer: string): ImportColumn | undefined {
  const name = pointer.split('/')[1]
  return name !== undefined && isImportColumn(name) ? name : undefined
}
