/**
 * SCIM resources as JSON: attribute names are case-insensitive (RFC 7643 §2.1), so every lookup
 * of a resource's member goes through these.
 */
export type Json = Record<string, unknown>

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The member's own spelling of `name` in `o`, ignoring case; undefined when it has none. */
export const keyOf = (o: Json, name: string): string | undefined => Object.keys(o).find((k) => k.toLowerCase() === name.toLowerCase())

/** The value of attribute `name` of `o` (any case); undefined when `o` is no object or lacks it. */
export const get = (o: unknown, name: string): unknown => {
  if (!isObject(o)) return undefined
  const key = keyOf(o, name)
  return key === undefined ? undefined : o[key]
}
