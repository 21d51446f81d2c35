import { html, type SafeHtml } from '../../lib/html.ts'

/** What every template renders: a subject, a plain-text body and a small HTML body. */
export interface RenderedMail { subject: string; text: string; html: string }

export interface MailParts {
  subject: string
  /** The greeting's name. */
  name: string
  /** Paragraphs before the button, in plain words (escaped in HTML). */
  paragraphs: string[]
  action: { label: string; link: string }
  /** A closing line under the button (e.g. when the link expires). */
  footnote?: string
}

const STYLE = 'font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;font-size:16px;line-height:1.5;color:#1f2328;max-width:36rem;margin:0 auto;padding:1rem'
const BUTTON = 'display:inline-block;background:#0b5cad;color:#ffffff;padding:.6rem 1rem;border-radius:6px;text-decoration:none'

/**
 * One shared shape for every message: a greeting, a few paragraphs, one link (as a button in
 * HTML, on its own line in text), an optional footnote. Every value passes through the escaping
 * `html` tag, so a name like `<script>` arrives as text. Inline styles only: mail clients drop
 * stylesheets.
 */
export function renderMail(parts: MailParts): RenderedMail {
  const text = [
    `Hello ${parts.name},`, '',
    ...parts.paragraphs.flatMap((p) => [p, '']),
    `${parts.action.label}: ${parts.action.link}`,
    ...(parts.footnote ? ['', parts.footnote] : []),
    '', '-- ', 'Rapport', ''
  ].join('\n')
  const body: SafeHtml = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${parts.subject}</title></head>
<body style="margin:0;background:#f6f8fa"><div style="${STYLE}">
<p>Hello ${parts.name},</p>
${parts.paragraphs.map((p) => html`<p>${p}</p>\n`)}<p><a href="${parts.action.link}" style="${BUTTON}">${parts.action.label}</a></p>
<p style="font-size:14px;color:#57606a">Or open this address: <a href="${parts.action.link}">${parts.action.link}</a></p>
${parts.footnote ? html`<p style="font-size:14px;color:#57606a">${parts.footnote}</p>` : ''}
<p style="font-size:14px;color:#57606a">Rapport</p>
</div></body></html>
`
  return { subject: parts.subject, text, html: body.value }
}

/** An ISO instant as mail shows it: UTC to the minute (the reader's zone is unknown here). */
export const whenText = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`
