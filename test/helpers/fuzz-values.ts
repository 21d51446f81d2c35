import fc from 'fast-check'

/** The fuzzing is reproducible: every sample comes from this seed (mixed with the operation's id). */
export const SEED = 20261201

export const LONG = 'x'.repeat(70_000)

const STRINGS = [
  '\u0000', 'a\u0000b', '\ud800', 'x\udfffy', '\u202e\u200b\ufeff', 'e\u0301\u0301\u0301', '\u{1f642}', '\uffff',
  "' OR '1'='1' --", "'); DROP TABLE trainees; --", '<script>alert(1)</script>', '"><img src=x onerror=alert(1)>',
  '../../../etc/passwd', '%00', '%', '', ' ', '\r\n\t', 'null', '{{7*7}}', '${7*7}', '-1', '1e309', 'NaN',
  '00000000-0000-0000-0000-00000000000g', '00000000-0000-0000-0000-000000000000', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', LONG
]
const NUMBERS = [-1, 0, -0, 0.5, -2.5, 2 ** 31, 2 ** 53 + 2, 1e308, -1e308, Number.MIN_VALUE]

const nested = (depth: number): unknown => (depth === 0 ? 'deep' : { a: nested(depth - 1) })
const WRONG_TYPES: unknown[] = [null, true, false, [], [null], {}, { unknown: 1 }, ['x', 1], nested(60), [[[[[[[[[[]]]]]]]]]]]

/** Text a database or a browser may choke on: NUL, lone surrogates, 70 KB, SQL and markup, odd Unicode. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...STRINGS) },
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.string({ unit: fc.constantFrom('\u0000', '\ud800', '\udc00', '\u202e', '\ufeff', "'", '"', '<', '\\', '%', '\n'), minLength: 1, maxLength: 12 })
)

/** Any value of the wrong kind or size: hostile text, extreme numbers, wrong types, nesting. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 2, arbitrary: hostileString },
  fc.constantFrom(...NUMBERS),
  fc.double(),
  fc.integer(),
  { weight: 2, arbitrary: fc.constantFrom(...WRONG_TYPES) },
  fc.jsonValue({ maxDepth: 3 })
)

function hash(text: string): number {
  let h = 2166136261
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619)
  return h >>> 0
}

/** A fixed stream of samples for one operation: the same values on every run. */
export function samplesFor(operationId: string, count: number) {
  const seed = (SEED ^ hash(operationId)) >>> 0
  return {
    strings: fc.sample(hostileString, { seed, numRuns: count }),
    values: fc.sample(hostileValue, { seed: seed + 1, numRuns: count })
  }
}

/** Whole bodies that are not what the operation expects, raw as a client could send them. */
export const RAW_BODIES: Array<{ what: string; contentType?: string; payload: string }> = [
  { what: 'malformed JSON', contentType: 'application/json', payload: '{"name": "x",' },
  { what: 'an array for an object', contentType: 'application/json', payload: '[{"name":"x"}]' },
  { what: 'a bare JSON string', contentType: 'application/json', payload: '"x"' },
  { what: 'JSON null', contentType: 'application/json', payload: 'null' },
  { what: 'an empty body', contentType: 'application/json', payload: '' },
  { what: 'a byte-order mark', contentType: 'application/json', payload: '\ufeff{}' },
  { what: 'deeply nested arrays', contentType: 'application/json', payload: '['.repeat(20_000) + ']'.repeat(20_000) },
  { what: 'deeply nested objects', contentType: 'application/json', payload: '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000) },
  { what: 'prototype keys', contentType: 'application/json', payload: '{"__proto__":{"role":"admin"},"constructor":{"prototype":{"x":1}}}' },
  { what: 'a number too long for a double', contentType: 'application/json', payload: `{"count": 1${'0'.repeat(400)}}` },
  { what: 'escaped NUL and a lone surrogate', contentType: 'application/json', payload: '{"name":"\\u0000","email":"\\ud800@example.org"}' },
  { what: 'more than the body limit', contentType: 'application/json', payload: JSON.stringify({ name: 'x'.repeat(300_000) }) },
  { what: 'text/plain', contentType: 'text/plain', payload: '{}' },
  { what: 'a form', contentType: 'application/x-www-form-urlencoded', payload: 'name=x&name=y' },
  { what: 'multipart', contentType: 'multipart/form-data; boundary=--x', payload: '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--' },
  { what: 'JSON in another charset', contentType: 'application/json; charset=utf-16', payload: '{}' },
  { what: 'XML', contentType: 'application/xml', payload: '<a/>' },
  { what: 'no content type', payload: '{}' }
]

/** Headers a client may send malformed: If-Match, Origin, Authorization, content negotiation. */
export const HEADER_CASES: Array<Record<string, string>> = [
  { 'if-match': '"unterminated' }, { 'if-match': 'W/' }, { 'if-match': ', ,' }, { 'if-match': `"${LONG}"` }, { 'if-match': '"a", *' },
  { origin: 'null' }, { origin: 'http://[::1' }, { origin: '%zz' }, { origin: 'javascript:alert(1)' }, { origin: 'http://exa mple.org' },
  { origin: 'https://attacker.example' }, { authorization: 'Bearer' }, { authorization: 'Basic YWRtaW46YWRtaW4=' },
  { authorization: `Bearer rk_${'x'.repeat(5_000)}` }, { authorization: 'bearer   ' }, { authorization: 'Bearer rk_\u00ff\u00fe' },
  { accept: 'application/json;q=x, */*;q=' }, { 'accept-language': '*;q=0,,,' }, { 'content-type': 'application/json; charset=' },
  { 'x-forwarded-for': 'not an address, 999.1.1.1' }, { cookie: 'rapport_session=%; a' }, { 'x-request-id': LONG }
]
