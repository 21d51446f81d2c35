import { branches, type JsonSchema } from './openapi-operations.ts'

let serial = 0

/**
 * The plainest value a schema accepts: the first enum member, the first non-null branch, the
 * minimum, a short text within the length bounds, an object of its required members. References
 * (uuid fields) are not invented here: the caller fills them from fixtures.
 */
export function plainValue(s: JsonSchema, name: string): unknown {
  if (s.const !== undefined) return s.const
  if (s.enum) return s.enum[0]
  const union = branches(s)
  if (union[0] !== s) return plainValue(union[0]!, name)
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type
  switch (type) {
    case 'string': return plainString(s, name)
    case 'integer':
    case 'number': return s.minimum ?? 1
    case 'boolean': return false
    case 'array': return Array.from({ length: s.minItems ?? 0 }, () => plainValue(s.items ?? {}, name))
    case 'object': return Object.fromEntries((s.required ?? []).map((k) => [k, plainValue(s.properties?.[k] ?? {}, k)]))
    default: return null
  }
}

function plainString(s: JsonSchema, name: string): string {
  switch (s.format) {
    case 'email': return `matrix-${++serial}@example.org`
    case 'hostname': return `matrix-${++serial}.example.org`
    case 'date': return '2025-06-02'
    // A moment in the future: the timestamps clients send are expiries, and the ends of ranges;
    // a range's start (a webhook replay's `from`) a moment in the past.
    case 'date-time': return new Date(Date.now() + (name === 'from' ? -1 : 30) * 86_400_000).toISOString()
    case 'uuid': throw new Error(`${name}: a uuid field the reference table does not know`)
  }
  const text = `Generated ${name} ${++serial}`.padEnd(s.minLength ?? 0, 'x').slice(0, s.maxLength)
  if (!s.pattern) return text
  // Keys, version numbers: the first plain candidate the pattern accepts.
  const pattern = new RegExp(s.pattern, 'u')
  return [text, `generated-${serial}`, String(serial), 'latest'].find((c) => pattern.test(c)) ?? text
}
