import { and, not, or, sql, type SQL } from 'drizzle-orm'
import { parse, type Filter } from 'scim2-parse-filter'
import { problem } from '../../errors.ts'

/**
 * RFC 7644 §3.4.2.2 filters, parsed by scim2-parse-filter (a real grammar, not regexes) and
 * translated to one SQL condition, so filtering, counting and paging all happen in the database.
 * A resource type supplies the attributes it filters on; anything else is invalidFilter.
 */
export interface FilterAttribute {
  /** The column or expression the attribute is read from. */
  sql: SQL
  type: 'string' | 'boolean' | 'dateTime'
  /** RFC 7643 §2.2 caseExact: false compares case-insensitively (userName, emails). */
  caseExact: boolean
}

/** Attribute paths are case-insensitive (RFC 7643 §2.1); resolvers get them lower-cased. */
export type AttributeResolver = (lowerCasePath: string) => FilterAttribute | undefined

const invalid = (detail: string) => problem('scim-invalid-filter', detail)

export function parseFilter(text: string): Filter {
  try {
    return parse(text)
  } catch (err) {
    throw invalid(`The filter does not parse: ${(err as Error).message}.`)
  }
}

/** LIKE pattern of a literal: % _ and \ match only themselves. */
const likeLiteral = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`)

function resolve(attributes: AttributeResolver, path: string): FilterAttribute {
  const found = attributes(path.toLowerCase())
  if (!found) throw invalid(`Filtering on "${path}" is not supported.`)
  return found
}

function comparison(a: FilterAttribute, path: string, op: string, value: unknown): SQL {
  if (value === null) {
    if (op === 'eq') return sql`${a.sql} is null`
    if (op === 'ne') return sql`${a.sql} is not null`
    throw invalid(`"${op}" cannot compare "${path}" with null.`)
  }
  if (a.type === 'boolean') {
    if (typeof value !== 'boolean') throw invalid(`"${path}" is a boolean; compare it with true or false.`)
    if (op === 'eq') return sql`${a.sql} = ${value}`
    if (op === 'ne') return sql`${a.sql} is distinct from ${value}`
    throw invalid(`"${op}" does not apply to the boolean "${path}".`)
  }
  if (typeof value !== 'string') throw invalid(`"${path}" is text; compare it with a quoted string.`)
  if (a.type === 'dateTime') {
    if (Number.isNaN(Date.parse(value))) throw invalid(`"${value}" is not a dateTime (RFC 3339) for "${path}".`)
    const at = sql`${new Date(value).toISOString()}::timestamptz`
    const ops: Record<string, SQL> = {
      eq: sql`${a.sql} = ${at}`, ne: sql`${a.sql} is distinct from ${at}`, gt: sql`${a.sql} > ${at}`,
      ge: sql`${a.sql} >= ${at}`, lt: sql`${a.sql} < ${at}`, le: sql`${a.sql} <= ${at}`
    }
    if (!ops[op]) throw invalid(`"${op}" does not apply to the dateTime "${path}".`)
    return ops[op]
  }
  // Case-insensitive attributes compare lower-cased both sides, so an index on lower(column) serves eq.
  const col = a.caseExact ? a.sql : sql`lower(${a.sql})`
  const v = a.caseExact ? value : value.toLowerCase()
  switch (op) {
    case 'eq': return sql`${col} = ${v}`
    case 'ne': return sql`${col} is distinct from ${v}`
    case 'co': return sql`${col} like ${`%${likeLiteral(v)}%`}`
    case 'sw': return sql`${col} like ${`${likeLiteral(v)}%`}`
    case 'ew': return sql`${col} like ${`%${likeLiteral(v)}`}`
    case 'gt': return sql`${col} > ${v}`
    case 'ge': return sql`${col} >= ${v}`
    case 'lt': return sql`${col} < ${v}`
    case 'le': return sql`${col} <= ${v}`
  }
  throw invalid(`The operator "${op}" is not supported.`)
}

/** `prefix` scopes a value path's inner filter: emails[type eq "work"] reads type as emails.type. */
export function filterToSql(f: Filter, attributes: AttributeResolver, prefix = ''): SQL {
  switch (f.op) {
    case 'and': return and(...f.filters.map((x) => filterToSql(x, attributes, prefix)))!
    case 'or': return or(...f.filters.map((x) => filterToSql(x, attributes, prefix)))!
    case 'not': return not(filterToSql(f.filter, attributes, prefix))
    case '[]': return filterToSql(f.valFilter, attributes, `${prefix}${f.attrPath}.`)
    case 'pr': {
      const a = resolve(attributes, prefix + f.attrPath)
      return a.type === 'string' ? sql`coalesce(${a.sql}, '') <> ''` : sql`${a.sql} is not null`
    }
    default: {
      const path = prefix + f.attrPath
      return comparison(resolve(attributes, path), path, f.op, f.compValue)
    }
  }
}

/** The condition of a `filter` query parameter; none when absent. */
export function whereOfFilter(text: string | undefined, attributes: AttributeResolver): SQL | undefined {
  if (text === undefined || text.trim() === '') return undefined
  return filterToSql(parseFilter(text), attributes)
}
