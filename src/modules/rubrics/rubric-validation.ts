import { createHash } from 'node:crypto'
import { Ajv, type ValidateFunction } from 'ajv'
import type { Static } from 'typebox'
import type { FieldProblem } from '../../errors.ts'
import { toFieldProblems } from '../../plugins/errors.ts'
import { EligibilityRulesSchema } from '../eligibility/eligibility-schemas.ts'
import { rulesProblems } from '../eligibility/rules-validation.ts'
import { RubricDefinitionSchema, RubricFileSchema, type RubricDefinition } from './rubric-schemas.ts'

/**
 * Everything wrong with a rubric, each problem with a JSON Pointer, so an author fixes a file or a
 * payload in one pass. Structure comes from the TypeBox schema; the rules a schema cannot express
 * (levels that follow the scale, keys unique across the rubric) are checked here.
 */
const ajv = new Ajv({ allErrors: true, strict: false })
const eligibilityValidator = ajv.compile<Static<typeof EligibilityRulesSchema>>(EligibilityRulesSchema)
const definitionValidator = ajv.compile(RubricDefinitionSchema)
const fileValidator = ajv.compile(RubricFileSchema)

type Node = Record<string, unknown>
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v)
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])
const nodes = (v: unknown): [number, Node][] =>
  list(v).flatMap((item, i): [number, Node][] => (isNode(item) ? [[i, item]] : []))

function structural(validate: ValidateFunction, value: unknown): FieldProblem[] {
  return validate(value) ? [] : toFieldProblems(validate.errors ?? [], 'body')
}

/** Texts made only of spaces pass `minLength` but say nothing to a trainee. */
function blankTexts(value: unknown, pointer: string, out: FieldProblem[]): void {
  if (typeof value === 'string') {
    if (value.length > 0 && value.trim() === '') out.push({ pointer, detail: 'must not be blank' })
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => blankTexts(v, `${pointer}/${i}`, out))
  } else if (isNode(value)) {
    for (const [k, v] of Object.entries(value)) blankTexts(v, `${pointer}/${k}`, out)
  }
}

function checkScale(definition: Node, out: FieldProblem[]): number[] {
  const labels = new Map<string, number>()
  const values: number[] = []
  for (const [i, level] of nodes(definition.scale)) {
    const value = level.value
    if (typeof value === 'number') {
      const previous = values[values.length - 1]
      if (previous !== undefined && value <= previous) {
        out.push({ pointer: `/scale/${i}/value`, detail: `must be greater than the previous level's value (${previous}); scale values ascend, lowest first, and are unique` })
      }
      values.push(value)
    }
    if (typeof level.label === 'string') {
      const label = level.label.trim().toLowerCase()
      const first = labels.get(label)
      if (first !== undefined) out.push({ pointer: `/scale/${i}/label`, detail: `"${level.label}" is already the label of /scale/${first}` })
      else labels.set(label, i)
    }
  }
  return values
}

function checkLevels(levels: unknown, at: string, scale: number[], out: FieldProblem[]): void {
  const given = list(levels)
  if (given.length !== scale.length) {
    out.push({ pointer: `${at}/levels`, detail: `expected ${scale.length} descriptors, one per scale level (${scale.join(', ')})` })
    return
  }
  const descriptors = new Map<string, number>()
  for (const [j, level] of nodes(levels)) {
    const expected = scale[j]
    if (typeof level.value === 'number' && level.value !== expected) {
      out.push({ pointer: `${at}/levels/${j}/value`, detail: `expected ${expected}: levels follow the scale in order (${scale.join(', ')})` })
    }
    if (typeof level.descriptor === 'string') {
      const text = level.descriptor.trim().toLowerCase()
      const first = descriptors.get(text)
      if (first !== undefined) out.push({ pointer: `${at}/levels/${j}/descriptor`, detail: `repeats the descriptor of ${at}/levels/${first}; each level must describe different behaviour` })
      else descriptors.set(text, j)
    }
  }
}

/** Rules across the whole definition; tolerant of a broken structure so both kinds are reported together. */
export function semanticProblems(definition: unknown): FieldProblem[] {
  const out: FieldProblem[] = []
  if (!isNode(definition)) return out
  blankTexts(definition, '', out)
  const scale = checkScale(definition, out)
  // Levels are matched to scale values; against values that are missing or out of order that means nothing.
  const scaleUsable = scale.length === list(definition.scale).length && out.every((p) => !/^\/scale\/\d+\/value$/.test(p.pointer))
  const areaKeys = new Map<string, string>()
  const areaTitles = new Map<string, string>()
  const criterionKeys = new Map<string, string>()
  for (const [a, area] of nodes(definition.areas)) {
    const at = `/areas/${a}`
    unique(areaKeys, area.key, at, 'key', out)
    unique(areaTitles, area.title, at, 'title', out)
    const criterionTitles = new Map<string, string>()
    for (const [c, criterion] of nodes(area.criteria)) {
      const ct = `${at}/criteria/${c}`
      unique(criterionKeys, criterion.key, ct, 'key', out)
      unique(criterionTitles, criterion.title, ct, 'title', out)
      if (scaleUsable) checkLevels(criterion.levels, ct, scale, out)
    }
  }
  if (scaleUsable && eligibilityValidator(definition.eligibility)) {
    out.push(...rulesProblems(definition.eligibility, scale).map((p) => ({ ...p, pointer: `/eligibility${p.pointer}` })))
  }
  return out
}

function unique(seen: Map<string, string>, value: unknown, at: string, field: string, out: FieldProblem[]): void {
  if (typeof value !== 'string') return
  const norm = field === 'key' ? value : value.trim().toLowerCase()
  const first = seen.get(norm)
  if (first !== undefined) out.push({ pointer: `${at}/${field}`, detail: `"${value}" is already the ${field} of ${first}` })
  else seen.set(norm, at)
}

const byPointer = (a: FieldProblem, b: FieldProblem) => a.pointer.localeCompare(b.pointer, 'en', { numeric: true })

/** Every problem of a definition (pointers relative to the definition). Empty when it is valid. */
export function definitionProblems(definition: unknown): FieldProblem[] {
  return [...structural(definitionValidator, definition), ...semanticProblems(definition)].sort(byPointer)
}

/** Every problem of a rubric file's content (its key plus the definition's fields). */
export function rubricFileProblems(content: unknown): FieldProblem[] {
  return [...structural(fileValidator, content), ...semanticProblems(content)].sort(byPointer)
}

/** Prefixes pointers, e.g. with `/definition` for a definition inside a request body. */
export const under = (prefix: string, problems: FieldProblem[]): FieldProblem[] =>
  problems.map((p) => ({ pointer: `${prefix}${p.pointer === '/' ? '' : p.pointer}`, detail: p.detail }))

/** JSON with object keys sorted at every depth, so equal content always hashes equal. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (isNode(value)) {
    const entries = Object.keys(value).sort()
      .filter((k) => value[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
    return `{${entries.join(',')}}`
  }
  return JSON.stringify(value)
}

export const contentHashOf = (definition: RubricDefinition): string =>
  createHash('sha256').update(canonicalJson(definition)).digest('hex')
