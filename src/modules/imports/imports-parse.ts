import { Transform, type Readable, type TransformCallback } from 'node:stream'
import { CsvError, parse } from 'csv-parse'
import { problem, type AppError } from '../../errors.ts'
import { IMPORT_COLUMNS, MAX_IMPORT_ROWS, REQUIRED_COLUMNS, type ImportColumn } from './imports-schemas.ts'

/** One row as sent: its line (CSV) or 1-based position (JSON), and its cells by column. */
export interface RawRow { line: number; cells: Partial<Record<string, unknown>> }

const tooLarge = (limit: number): AppError => problem('import-too-large',
  `The file exceeds the import limit of ${limit} bytes (IMPORT_MAX_BYTES); split it, or raise the limit.`)

/**
 * The request body, counted as it arrives: past `limit` bytes the stream fails with a 413 at once
 * (a Content-Length above it is refused before a byte is read). For the route's preParsing hook,
 * so the limit holds for CSV and JSON alike; `receivedEncodedLength` is what Fastify compares with
 * Content-Length.
 */
export function limitBytes(payload: Readable, limit: number, contentLength: string | undefined): Readable {
  if (contentLength !== undefined && Number(contentLength) > limit) throw tooLarge(limit)
  let received = 0
  const counter = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      received += chunk.length
      ;(counter as Transform & { receivedEncodedLength: number }).receivedEncodedLength = received
      if (received > limit) done(tooLarge(limit))
      else done(null, chunk)
    }
  })
  payload.on('error', (err) => counter.destroy(err))
  return payload.pipe(counter)
}

/**
 * A streamed CSV body as the parser reads it (`limitBytes` in front of it bounds it). Held in an
 * object with a private field so nothing that walks a parsed body (the NUL check of every route)
 * walks the socket behind the stream.
 */
export class CsvUpload {
  readonly #stream: Readable
  constructor(stream: Readable) { this.#stream = stream }
  get stream(): Readable { return this.#stream }
}

const fileInvalid = (detail: string, line?: number): AppError => problem('import-file-invalid', detail,
  { errors: [{ pointer: line === undefined ? '/' : `/line/${line}`, detail }] })

function checkHeader(header: string[]): string[] {
  const names = header.map((h) => h.trim())
  const unknown = names.filter((n) => !(IMPORT_COLUMNS as readonly string[]).includes(n))
  if (unknown.length > 0) {
    throw fileInvalid(`Unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')} on line 1; the columns are ${IMPORT_COLUMNS.join(', ')}.`, 1)
  }
  const repeated = names.filter((n, i) => names.indexOf(n) !== i)
  if (repeated.length > 0) throw fileInvalid(`Column "${repeated[0]}" appears twice on line 1.`, 1)
  const missing = REQUIRED_COLUMNS.filter((c) => !names.includes(c))
  if (missing.length > 0) throw fileInvalid(`Line 1 lacks the required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}.`, 1)
  return names
}

/**
 * Rows of an RFC 4180 CSV stream (UTF-8, a byte-order mark skipped), read record by record: the
 * file is never held whole, only its rows. Every cell stays a string (csv-parse casts nothing), so
 * an HR id `012345` stays `012345`. A record's line is where it starts: the line after the previous
 * record ends, plus the empty lines skipped in between.
 */
export async function readCsv(stream: Readable): Promise<RawRow[]> {
  const parser = stream.pipe(parse({
    bom: true, info: true, skip_empty_lines: true, relax_column_count: false, max_record_size: 65_536
  }))
  stream.on('error', (err) => parser.destroy(err))
  const rows: RawRow[] = []
  let header: string[] | undefined
  let lastLine = 0
  let lastEmpty = 0
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number; empty_lines: number } }>) {
      const line = lastLine + 1 + (info.empty_lines - lastEmpty)
      lastLine = info.lines
      lastEmpty = info.empty_lines
      if (header === undefined) {
        header = checkHeader(record)
        continue
      }
      if (rows.length === MAX_IMPORT_ROWS) throw fileInvalid(`The file has more than ${MAX_IMPORT_ROWS} rows; split it.`, line)
      const cells: Record<string, string> = {}
      header.forEach((name, i) => { cells[name] = record[i] ?? '' })
      rows.push({ line, cells })
    }
  } catch (err) {
    if (err instanceof CsvError) {
      const line = (err as CsvError & { lines?: number }).lines
      throw fileInvalid(`The file is not valid CSV${line === undefined ? '' : ` at line ${line}`}: ${err.message}`, line)
    }
    throw err
  }
  if (header === undefined) throw fileInvalid('The file is empty; its first line names the columns.')
  return rows
}

/** Rows of a JSON array (already bounded and parsed by Fastify with the route's body limit). */
export function readJson(body: Array<Record<string, unknown>>): RawRow[] {
  return body.map((cells, i) => ({ line: i + 1, cells }))
}

export const isImportColumn = (name: string): name is ImportColumn => (IMPORT_COLUMNS as readonly string[]).includes(name)
