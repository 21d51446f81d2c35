import { readdir, readFile, stat } from 'node:fs/promises'
import { extname, join, relative } from 'node:path'
import { isNode as isYamlNode, LineCounter, parseDocument, type Document } from 'yaml'
import type { RubricDefinition, RubricFile } from './rubric-schemas.ts'
import { rubricFileProblems } from './rubric-validation.ts'

export interface FileProblem {
  file: string
  pointer: string
  detail: string
  /** 1-based line in a YAML file, when the pointer leads to (or into) a node of it. */
  line?: number
}

/** Every problem of every rubric file, so one run shows all there is to fix. Nothing was imported. */
export class RubricFilesInvalid extends Error {
  constructor(readonly problems: FileProblem[]) {
    super(`Rubric files have problems; nothing was imported:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`)
    this.name = 'RubricFilesInvalid'
  }
}

export const formatProblem = (p: FileProblem): string =>
  `${p.file}: ${p.pointer || '/'}: ${p.detail}${p.line === undefined ? '' : ` (line ${p.line})`}`

export interface LoadedRubric {
  file: string
  key: string
  definition: RubricDefinition
}

const EXTENSIONS = new Set(['.yaml', '.yml', '.json'])

/** The rubric files among `paths`: a directory contributes its *.yaml, *.yml and *.json, sorted by name. */
export async function listRubricFiles(paths: string[]): Promise<string[]> {
  const files: string[] = []
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined)
    if (!info) throw new RubricFilesInvalid([{ file: path, pointer: '', detail: 'no such file or directory' }])
    if (info.isDirectory()) {
      const names = (await readdir(path)).filter((n) => EXTENSIONS.has(extname(n).toLowerCase())).sort()
      files.push(...names.map((n) => join(path, n)))
    } else {
      files.push(path)
    }
  }
  return [...new Set(files)]
}

/** Line of the node a pointer names, or of its nearest existing ancestor (for a missing field). */
function lineOf(doc: Document, lines: LineCounter, pointer: string): number | undefined {
  const path: (string | number)[] = pointer.split('/').slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s))
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true)
    if (isYamlNode(node) && node.range) return lines.linePos(node.range[0]).line
  }
  return undefined
}

function parse(file: string, text: string): { content?: unknown; problems: FileProblem[]; locate: (pointer: string) => number | undefined } {
  if (extname(file).toLowerCase() === '.json') {
    try {
      return { content: JSON.parse(text) as unknown, problems: [], locate: () => undefined }
    } catch (err) {
      return { problems: [{ file, pointer: '', detail: `not valid JSON: ${(err as Error).message}` }], locate: () => undefined }
    }
  }
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true })
  if (doc.errors.length > 0) {
    return {
      problems: doc.errors.map((e) => ({ file, pointer: '', detail: `not valid YAML: ${(e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`, line: e.linePos?.[0].line })),
      locate: () => undefined
    }
  }
  return { content: doc.toJS() as unknown, problems: [], locate: (pointer) => lineOf(doc, lines, pointer) }
}

/** Reads and validates one file: its rubric, or every problem it has. */
export async function readRubricFile(path: string, baseDir = process.cwd()): Promise<{ rubric?: LoadedRubric; problems: FileProblem[] }> {
  const rel = relative(baseDir, path)
  const file = rel && !rel.startsWith('..') ? rel : path
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    return { problems: [{ file, pointer: '', detail: `cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }] }
  }
  const parsed = parse(file, text)
  if (parsed.content === undefined) return { problems: parsed.problems.length ? parsed.problems : [{ file, pointer: '', detail: 'is empty' }] }
  const problems = rubricFileProblems(parsed.content).map((p) => ({ file, ...p, line: parsed.locate(p.pointer) }))
  if (problems.length > 0) return { problems }
  const { key, ...definition } = parsed.content as RubricFile
  return { rubric: { file, key, definition }, problems: [] }
}

/** Reads every file; throws RubricFilesInvalid listing all problems of all files if any has one. */
export async function loadRubricFiles(paths: string[]): Promise<LoadedRubric[]> {
  const rubrics: LoadedRubric[] = []
  const problems: FileProblem[] = []
  const seen = new Map<string, string>()
  for (const path of paths) {
    const result = await readRubricFile(path)
    problems.push(...result.problems)
    if (!result.rubric) continue
    const first = seen.get(result.rubric.key)
    if (first) problems.push({ file: result.rubric.file, pointer: '/key', detail: `"${result.rubric.key}" is also the key of ${first}; each rubric has one file` })
    else seen.set(result.rubric.key, result.rubric.file)
    rubrics.push(result.rubric)
  }
  if (problems.length > 0) throw new RubricFilesInvalid(problems)
  return rubrics
}
