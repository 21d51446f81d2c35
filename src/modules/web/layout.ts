import { html, type SafeHtml } from '../../lib/html.ts'
import type { Principal } from '../../lib/request-context.ts'

/**
 * The page shell every web page shares: language, viewport, one small stylesheet, a skip link,
 * the navigation for the signed-in person's role, and the main landmark.
 */
export interface PageContext {
  principal: Principal | null
  csrfToken: string | null
  /** Marks the current navigation entry (aria-current). */
  path?: string
}

const NAV: Record<string, Array<[string, string]>> = {
  supervisor: [['/my/trainees', 'My trainees']],
  trainee: [['/my/observations', 'My observations']],
  coordinator: [['/cohorts', 'Cohorts']],
  admin: [['/cohorts', 'Cohorts'], ['/admin/mail', 'Mail']]
}

export function csrfField(ctx: PageContext): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${ctx.csrfToken ?? ''}">`
}

export function page(ctx: PageContext, title: string, body: SafeHtml, o: { script?: boolean; refreshTo?: string } = {}): string {
  const nav = ctx.principal ? NAV[ctx.principal.role] ?? [] : []
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Rapport</title>
<link rel="stylesheet" href="/assets/app.css">
${o.script ? html`<script src="/assets/app.js" defer></script>` : ''}
${o.refreshTo ? html`<meta http-equiv="refresh" content="0; url=${o.refreshTo}">` : ''}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="/">Rapport</a>
  ${ctx.principal ? html`<nav aria-label="Main"><ul>${nav.map(([href, label]) => html`<li><a href="${href}"${ctx.path === href ? html` aria-current="page"` : ''}>${label}</a></li>`)}</ul></nav>
  <form class="signout" method="post" action="/sign-out">${csrfField(ctx)}<a class="who" href="/account"${ctx.path === '/account' ? html` aria-current="page"` : ''}>${ctx.principal.name}<span class="visually-hidden"> (your account)</span></a> <button type="submit" class="link">Sign out</button></form>` : ''}
</header>
<main id="main" tabindex="-1">
<h1>${title}</h1>
${body}
</main>
</body>
</html>
`.value
}

/** A field's error, tied to its input by id (aria-describedby) so screen readers announce it. */
export function fieldError(id: string, message: string | undefined): SafeHtml {
  return message ? html`<p class="error" id="${id}-error">${message}</p>` : html``
}

/** A message above the page's content; `id` lets a field name it in aria-describedby. */
export function notice(kind: 'info' | 'error' | 'success', message: string, id?: string): SafeHtml {
  return html`<div class="notice ${kind}"${id ? html` id="${id}"` : ''} role="${kind === 'error' ? 'alert' : 'status'}">${message}</div>`
}
