/**
 * CSV as spreadsheets expect it: RFC 4180 (fields with a comma, quote, CR or LF are quoted, quotes
 * doubled, CRLF line ends), UTF-8 with a byte-order mark so Excel does not guess another encoding,
 * and formula injection neutralised: a text cell starting with =, +, -, @, tab or CR would be
 * evaluated as a formula, so it gets a leading single quote (OWASP's advice). Numbers are written as
 * numbers: they come from our own arithmetic, never from a user.
 */
export type CsvCell = string | number | boolean | null | undefined

export const CSV_BOM = '\uFEFF'
export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8'

const FORMULA_START = /^[=+\-@\t\r]/
const NEEDS_QUOTES = /[",\r\n]/

export function csvText(value: string): string {
  const safe = FORMULA_START.test(value) ? `'${value}` : value
  return NEEDS_QUOTES.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe
}

export function csvCell(value: CsvCell): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : ''
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  return csvText(value)
}

/** One record, CRLF-terminated. */
export function csvRow(cells: readonly CsvCell[]): string {
  let line = ''
  for (let i = 0; i < cells.length; i++) line += (i === 0 ? '' : ',') + csvCell(cells[i])
  return `${line}\r\n`
}

/**
 * A Content-Disposition for a download: an ASCII fallback name (anything else becomes '-') for old
 * clients, and the exact name as RFC 5987 `filename*` for the rest.
 */
export function attachmentDisposition(fileName: string, kind: 'attachment' | 'inline' = 'attachment'): string {
  const ascii = fileName.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/-{2,}/g, '-')
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`
}
