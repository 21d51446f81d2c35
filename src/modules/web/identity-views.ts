import { html, type SafeHtml } from '../../lib/html.ts'
import { csrfField, fieldError, type PageContext } from './layout.ts'

/**
 * The forms of signing in and of one's own account that several pages share: a password field,
 * the code field of two-factor sign-in, the enrolment QR code, and the recovery codes shown once.
 */
const described = (id: string, error: string | undefined, hint?: string) => {
  const ids = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ')
  return html`${ids ? html` aria-describedby="${ids}"` : ''}${error ? html` aria-invalid="true"` : ''}`
}

export function passwordField(id: string, label: string, o: { error?: string; autocomplete: 'new-password' | 'current-password'; hint?: string }): SafeHtml {
  return html`<div class="field"><label for="${id}">${label}</label>
    ${o.hint ? html`<p class="hint" id="${id}-hint">${o.hint}</p>` : ''}
    <input id="${id}" name="${id}" type="password" autocomplete="${o.autocomplete}" required${described(id, o.error, o.hint)}>
    ${fieldError(id, o.error)}</div>`
}

export const NEW_PASSWORD_HINT = 'At least 12 characters; a short sentence is easy to remember and hard to guess.'

export function codeField(o: { error?: string; recovery?: boolean }): SafeHtml {
  const hint = o.recovery
    ? 'The 6-digit code your authenticator app shows now, or one of your recovery codes.'
    : 'The 6-digit code your authenticator app shows now.'
  return html`<div class="field"><label for="code">Code</label>
    <p class="hint" id="code-hint">${hint}</p>
    <input id="code" name="code" type="text" inputmode="${o.recovery ? 'text' : 'numeric'}" autocomplete="one-time-code" required maxlength="20"${described('code', o.error, hint)}>
    ${fieldError('code', o.error)}</div>`
}

/** Scan the QR code (or type the key), then confirm with the first code. */
export function enrolForm(ctx: PageContext, action: string, setup: { secret: string; qr: string }, error?: string): SafeHtml {
  const grouped = setup.secret.replace(/(.{4})/g, '$1 ').trim()
  return html`
    <ol>
      <li>Open an authenticator app on your phone (for example FreeOTP, Aegis, Google Authenticator or 1Password).</li>
      <li>Scan this QR code with it:
        <img class="qr" src="${setup.qr}" alt="QR code for setting up two-factor sign-in; the key below says the same">
        or type this key: <code class="secret" id="totp-secret">${grouped}</code></li>
      <li>Type the 6-digit code the app now shows.</li>
    </ol>
    <form method="post" action="${action}" novalidate>
      ${csrfField(ctx)}
      ${codeField({ error })}
      <div class="actions"><button type="submit">Turn on two-factor sign-in</button></div>
    </form>`
}

/** Shown once: the person writes them down or prints them. */
export function recoveryCodesView(codes: string[], next: { href: string; label: string }): SafeHtml {
  return html`
    <p>Keep these recovery codes somewhere safe, apart from your phone. Each works once, instead of a code from the app, if you lose your phone.
      <strong>They are shown only now.</strong></p>
    <ol class="codes" id="recovery-codes">${codes.map((c) => html`<li>${c}</li>`)}</ol>
    <p><a class="button" href="${next.href}">${next.label}</a></p>`
}

export const waitMessage = (seconds: number) => `Too many attempts. Wait ${seconds} second${seconds === 1 ? '' : 's'}, then try again.`
