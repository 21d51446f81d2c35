import t from 'tap'
import { Value } from 'typebox/value'
import { escapeHtml } from '../src/lib/html.ts'
import { renderVerifyPage, verifyJson, VerifyResultSchema, type VerifyResult } from '../src/modules/certificates/verify-page.ts'

/** The public verification page and its JSON twin: the three states, escaping, and nothing more than the minimum. */
const certificate = { traineeName: 'Zoë Ñúñez', programName: 'Certificate in Therapeutic Relationships', issuedOn: '2025-03-31', serial: 'RC-2025-000042' }
const ISSUER = 'Riverside Training Institute'

/** The words a reader sees: tags, the style sheet and the head dropped, entities decoded. */
function visibleText(html: string): string[] {
  const body = html.replace(/^[\s\S]*<body>/, '').replace(/<\/body>[\s\S]*$/, '')
  return body.split(/<[^>]+>/).map((s) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, '\'').replace(/&amp;/g, '&').trim()).filter(Boolean)
}

t.test('the page is a complete, accessible document', async (t) => {
  const html = renderVerifyPage({ status: 'valid', certificate }, ISSUER)
  t.match(html, /^<!doctype html>\n<html lang="en">/, 'doctype and language')
  t.match(html, /<meta charset="utf-8">/)
  t.match(html, /<meta name="viewport" content="width=device-width, initial-scale=1">/)
  t.match(html, /<meta name="robots" content="noindex, nofollow">/, 'search engines are asked not to index a person\'s certificate')
  t.match(html, /<h1>Certificate verification<\/h1>/, 'one heading')
  t.notMatch(html, /<script|<link|<img|src=|href=/i, 'no scripts and nothing loaded from elsewhere')
})

t.test('valid: says so in words, with the name, programme, date and serial', async (t) => {
  const html = renderVerifyPage({ status: 'valid', certificate }, ISSUER)
  t.same(visibleText(html), [
    ISSUER, 'Certificate verification', '✓', 'Valid: this certificate was issued and has not been revoked.',
    'Name', 'Zoë Ñúñez', 'Programme', 'Certificate in Therapeutic Relationships', 'Issued on', '2025-03-31', 'Serial number', 'RC-2025-000042'
  ], 'exactly these words, in this order')
  t.match(html, /<span aria-hidden="true">✓ <\/span>/, 'the symbol is decoration; the word carries the status')
  t.same(verifyJson({ status: 'valid', certificate: { ...certificate, revokedOn: '2025-05-01' } }), { status: 'valid', certificate }, 'a valid certificate has no revocation date')
})

t.test('revoked: says revoked and when, with the same details and no reason', async (t) => {
  const result: VerifyResult = { status: 'revoked', certificate: { ...certificate, revokedOn: '2025-05-01' } }
  const html = renderVerifyPage(result, ISSUER)
  const text = visibleText(html)
  t.same(text, [
    ISSUER, 'Certificate verification', '✕', 'Revoked on', '2025-05-01', ': this certificate is no longer valid.',
    'Name', 'Zoë Ñúñez', 'Programme', 'Certificate in Therapeutic Relationships', 'Issued on', '2025-03-31', 'Serial number', 'RC-2025-000042'
  ], 'exactly these words, in this order')
  t.match(html, /Revoked on <time datetime="2025-05-01">2025-05-01<\/time>: this certificate is no longer valid\./, 'revoked on the date, in words')
  t.same(verifyJson(result), result, 'the JSON says the same')
  t.ok(Value.Check(VerifyResultSchema, verifyJson(result)), 'and matches the response schema')
})

t.test('unknown: says only that no certificate matches', async (t) => {
  const html = renderVerifyPage({ status: 'unknown' }, ISSUER)
  t.same(visibleText(html), [ISSUER, 'Certificate verification', '?', 'Unknown: no certificate matches this code.'])
  // Even if a caller passed a certificate along with "unknown", none of it is shown.
  const leaky = renderVerifyPage({ status: 'unknown', certificate }, ISSUER)
  t.equal(leaky, html, 'a certificate passed with "unknown" changes nothing')
  t.same(verifyJson({ status: 'unknown', certificate }), { status: 'unknown' })
})

t.test('every value is escaped', async (t) => {
  const evil = '<script>alert("x")</script> O\'Brien & Co'
  const html = renderVerifyPage({ status: 'revoked', certificate: { traineeName: evil, programName: `<b>${evil}</b>`, issuedOn: '2025-03-31"><x', serial: '"><img src=x>', revokedOn: '<i>' } }, `${evil}`)
  t.notMatch(html, /<script>|<b>|<img|<x|<i>/, 'no markup from the data survives')
  t.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; O&#39;Brien &amp; Co'), 'name, quotes and ampersand escaped')
  t.ok(visibleText(html).includes(evil), 'and the reader still sees the name as typed')
  t.equal(escapeHtml('a&b<c>d"e\'f'), 'a&amp;b&lt;c&gt;d&quot;e&#39;f')
})

t.test('nothing beyond the minimum leaks, whatever the caller passes', async (t) => {
  const extra = {
    ...certificate,
    revokedOn: '2025-05-01',
    id: '6f1c2a0e-4b7d-4e21-9a3c-5d8e7f601234',
    traineeId: '0b8e6f7a-1c2d-4e3f-8a9b-0c1d2e3f4a5b',
    email: 'zoe.nunez@example.org',
    revocationReason: 'Misconduct reported by the placement',
    verificationCode: 'k3J9xQ2mPz7vW4tR8yN5bC'
  }
  for (const status of ['valid', 'revoked'] as const) {
    const result = { status, certificate: extra } as VerifyResult
    const html = renderVerifyPage(result, ISSUER)
    const json = JSON.stringify(verifyJson(result))
    for (const [what, value] of [['email', '@'], ['certificate id', extra.id], ['trainee id', extra.traineeId], ['reason', 'Misconduct'], ['the code', extra.verificationCode]]) {
      t.notOk(html.includes(value!), `${status} page: no ${what}`)
      t.notOk(json.includes(value!), `${status} JSON: no ${what}`)
    }
    t.notMatch(html, /[0-9a-f]{8}-[0-9a-f]{4}-/i, `${status} page: no uuid at all`)
    t.same(Object.keys(verifyJson(result).certificate!).sort(), status === 'revoked'
      ? ['issuedOn', 'programName', 'revokedOn', 'serial', 'traineeName']
      : ['issuedOn', 'programName', 'serial', 'traineeName'], `${status} JSON: only these fields`)
  }
})
