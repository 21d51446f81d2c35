import { createHash } from 'node:crypto'
import { Type, type Static } from 'typebox'
import { escapeHtml } from '../../lib/html.ts'

/**
 * What the public verification address tells anyone holding a code: valid, revoked (and when) or
 * unknown, with only what is printed on the certificate itself. The HTML page and the JSON answer
 * are built from the same object, so they cannot say different things.
 */
const Day = Type.String({ maxLength: 10, pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD' })

export const VerifyResultSchema = Type.Object({
  status: Type.Union([Type.Literal('valid'), Type.Literal('revoked'), Type.Literal('unknown')]),
  certificate: Type.Optional(Type.Object({
    traineeName: Type.String({ maxLength: 200 }),
    programName: Type.String({ maxLength: 200 }),
    issuedOn: Day,
    serial: Type.String({ maxLength: 100 }),
    revokedOn: Type.Optional(Day)
  }, { additionalProperties: false }))
}, { additionalProperties: false, description: 'Absent certificate: no certificate matches the code.' })

export type VerifyResult = Static<typeof VerifyResultSchema>

/**
 * The answer, field by field: whatever else the caller's object carries stays out, an unknown code
 * gets no certificate at all, and only a revoked one has a revocation date.
 */
export function verifyJson(result: VerifyResult): VerifyResult {
  const c = result.certificate
  if (result.status === 'unknown' || !c) return { status: 'unknown' }
  const certificate = { traineeName: c.traineeName, programName: c.programName, issuedOn: c.issuedOn, serial: c.serial }
  if (result.status === 'revoked') return { status: 'revoked', certificate: { ...certificate, ...(c.revokedOn ? { revokedOn: c.revokedOn } : {}) } }
  return { status: 'valid', certificate }
}

// Each state has a word and a symbol as well as a colour; every pair meets WCAG AA contrast.
const STYLE = `
body{margin:0;background:#f5f7fa;color:#1f2933;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
main{max-width:34rem;margin:3rem auto;padding:2rem;background:#fff;border:1px solid #d9e2ec;border-radius:8px}
.issuer{margin:0;color:#52606d;font-size:.85rem;letter-spacing:.08em;text-transform:uppercase}
h1{margin:.25rem 0 1.25rem;font-size:1.5rem}
.status{margin:0 0 1.5rem;padding:.75rem 1rem;border-radius:6px;border-left:6px solid;font-weight:600}
.valid{background:#e3f4e8;color:#14532d;border-color:#15803d}
.revoked{background:#fde8e8;color:#7f1d1d;border-color:#b91c1c}
.unknown{background:#eef0f3;color:#323f4b;border-color:#616e7c}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.5rem 1.25rem;margin:0}
dt{color:#52606d}dd{margin:0;font-weight:600;overflow-wrap:anywhere}
`.trim()

/** The page's Content-Security-Policy allows this one stylesheet by its hash, and nothing else. */
export const VERIFY_PAGE_STYLE_HASH = `sha256-${createHash('sha256').update(STYLE).digest('base64')}`

function statusLine(result: VerifyResult): string {
  const c = result.certificate
  if (result.status === 'valid') return '<p class="status valid" role="status"><span aria-hidden="true">✓ </span>Valid: this certificate was issued and has not been revoked.</p>'
  if (result.status === 'revoked') {
    const on = c?.revokedOn ? ` on <time datetime="${escapeHtml(c.revokedOn)}">${escapeHtml(c.revokedOn)}</time>` : ''
    return `<p class="status revoked" role="status"><span aria-hidden="true">✕ </span>Revoked${on}: this certificate is no longer valid.</p>`
  }
  return '<p class="status unknown" role="status"><span aria-hidden="true">? </span>Unknown: no certificate matches this code.</p>'
}

function details(result: VerifyResult): string {
  const c = result.certificate
  if (!c) return ''
  const rows: Array<[string, string]> = [
    ['Name', escapeHtml(c.traineeName)],
    ['Programme', escapeHtml(c.programName)],
    ['Issued on', `<time datetime="${escapeHtml(c.issuedOn)}">${escapeHtml(c.issuedOn)}</time>`],
    ['Serial number', escapeHtml(c.serial)]
  ]
  return `<dl>\n${rows.map(([term, value]) => `<dt>${term}</dt><dd>${value}</dd>`).join('\n')}\n</dl>`
}

/** The public verification page: a complete, self-contained HTML document (no scripts, no external resources). */
export function renderVerifyPage(result: VerifyResult, issuerName: string): string {
  const shown = verifyJson(result)
  const issuer = escapeHtml(issuerName)
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>Certificate verification · ${issuer}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<p class="issuer">${issuer}</p>
<h1>Certificate verification</h1>
${statusLine(shown)}
${details(shown)}
</main>
</body>
</html>
`
}
