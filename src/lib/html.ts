/**
 * Server-rendered HTML that escapes by default: every value interpolated into `html` is escaped
 * unless it is itself the output of `html` (or `raw`, kept for constant markup). Arrays are joined,
 * null, undefined and false render nothing.
 */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string { return this.value }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\'': '&#39;' }
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (ch) => ENTITIES[ch]!)

type Value = SafeHtml | string | number | boolean | null | undefined | Value[]

function render(value: Value): string {
  if (value === null || value === undefined || value === false) return ''
  if (value instanceof SafeHtml) return value.value
  if (Array.isArray(value)) return value.map(render).join('')
  return escapeHtml(String(value))
}

export function html(strings: TemplateStringsArray, ...values: Value[]): SafeHtml {
  let out = strings[0] ?? ''
  values.forEach((v, i) => { out += render(v) + (strings[i + 1] ?? '') })
  return new SafeHtml(out)
}

/** Constant markup only: never pass user input here. */
export const raw = (markup: string): SafeHtml => new SafeHtml(markup)
