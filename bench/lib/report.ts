import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, loadavg } from 'node:os'
import type { Target } from './benchmark.ts'

export type Cell = string | number

const format = (cell: Cell) => typeof cell === 'number'
  ? (Number.isFinite(cell) ? (Number.isInteger(cell) ? String(cell) : cell.toFixed(cell >= 100 ? 0 : 2)) : '-')
  : cell

/** A plain-text table: text columns left-aligned, numbers right-aligned. */
export function printTable(header: string[], rows: Cell[][]): void {
  const text = rows.map((row) => row.map(format))
  const widths = header.map((h, i) => Math.max(h.length, ...text.map((row) => row[i]?.length ?? 0)))
  const line = (cells: string[], raw?: Cell[]) => cells
    .map((c, i) => typeof raw?.[i] === 'number' ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))
    .join('  ').trimEnd()
  process.stdout.write(`${line(header, rows[0])}\n`)
  text.forEach((cells, r) => process.stdout.write(`${line(cells, rows[r])}\n`))
}

export function printTargets(targets: Target[]): void {
  const width = Math.max(...targets.map((t) => t.label.length))
  for (const t of targets) {
    const value = Number.isFinite(t.value) ? t.value.toFixed(2) : '-'
    process.stdout.write(`${t.label.padEnd(width)}  ${value.padStart(6)}  (target ${t.op} ${t.limit})  ${t.pass ? 'PASS' : 'MISS'}\n`)
  }
}

/** The machine as the run saw it: what else was busy shows in the load average. */
export function machine() {
  const [one, five] = loadavg()
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    loadAverage1m: one ?? 0,
    loadAverage5m: five ?? 0
  }
}

const RESULTS_DIR = new URL('../results/', import.meta.url)

/** Writes bench/results/<name>-<timestamp>.json (the folder is git-ignored); returns its path. */
export async function writeResult(name: string, data: unknown): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true })
  const file = new URL(`${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`, RESULTS_DIR)
  await writeFile(file, `${JSON.stringify(data, null, 2)}\n`)
  return file.pathname
}
