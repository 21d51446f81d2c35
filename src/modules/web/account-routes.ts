import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { html } from '../../lib/html.ts'
import { changePassword, checkOwnPassword, signOutEverywhere } from '../identity/account-service.ts'
import { totpRequired } from '../identity/policy.ts'
import { SESSION_COOKIE, type WebSession } from '../identity/sessions.ts'
import { myEmailReminders, updateMySettings } from '../accounts/me-service.ts'
import { confirmEnrolment, removeTwoFactor, renewRecoveryCodes, startEnrolment, twoFactorStatus } from '../identity/two-factor-service.ts'
import { enrolForm, NEW_PASSWORD_HINT, passwordField, recoveryCodesView, waitMessage } from './identity-views.ts'
import { csrfField, notice, page } from './layout.ts'
import { pageContext, requireSignIn, sendPage, sessionContext } from './web-plugin.ts'

/**
 * The signed-in person's own account: change the password (the current one is required; other
 * sessions end), sign out everywhere, and two-factor sign-in (set up, new recovery codes, off
 * where the role does not require it). The same identity services serve the API's /v1/me.
 */
const Csrf = { _csrf: Type.Optional(Type.String({ maxLength: 200 })) }
const PasswordForm = Type.Object({ current: Type.String({ maxLength: 1000 }), password: Type.String({ maxLength: 1000 }), confirm: Type.String({ maxLength: 1000 }), ...Csrf })
const CodeForm = Type.Object({ code: Type.String({ maxLength: 100 }), ...Csrf })
const CurrentForm = Type.Object({ current: Type.String({ maxLength: 1000 }), ...Csrf })
const Empty = Type.Object({ ...Csrf })
/** A checkbox: sent as `on` when ticked, absent when not. */
const RemindersForm = Type.Object({ emailReminders: Type.Optional(Type.String({ maxLength: 10 })), ...Csrf })

type Messages = { success?: string; error?: string; fields?: Record<string, string> }

export function accountRoutes(app: FastifyInstance): void {
  const accountPage = async (request: FastifyRequest, reply: FastifyReply, session: WebSession, m: Messages = {}, status = 200) => {
    const ctx = pageContext(request, '/account')
    const tf = await twoFactorStatus(app.db, session.principal.accountId)
    const required = totpRequired(app.identity, session.principal.role)
    const reminders = await myEmailReminders(app.db, session.principal.accountId)
    return sendPage(reply, page(ctx, 'Your account', html`
      ${m.success ? notice('success', m.success) : ''}${m.error ? notice('error', m.error) : ''}
      <h2>Password</h2>
      <form method="post" action="/account/password" novalidate>
        ${csrfField(ctx)}
        ${passwordField('current', 'Current password', { autocomplete: 'current-password', error: m.fields?.current })}
        ${passwordField('password', 'New password', { autocomplete: 'new-password', hint: NEW_PASSWORD_HINT, error: m.fields?.password })}
        ${passwordField('confirm', 'The same new password again', { autocomplete: 'new-password', error: m.fields?.confirm })}
        <p class="hint">Changing it signs you out on every other device.</p>
        <div class="actions"><button type="submit">Change password</button></div>
      </form>
      <h2>Two-factor sign-in</h2>
      ${tf.enabled ? html`
        <p>On: you type a code from your authenticator app after your password. Recovery codes left: <strong id="recovery-left">${tf.recoveryCodesLeft}</strong>.</p>
        <form method="post" action="/account/recovery-codes">${csrfField(ctx)}<button type="submit" class="secondary">Make new recovery codes</button></form>
        ${required ? html`<p class="muted">Your role requires two-factor sign-in, so it stays on.</p>` : html`
        <form method="post" action="/account/two-factor/remove" novalidate>
          ${csrfField(ctx)}
          ${passwordField('remove-current', 'Your password, to turn it off', { autocomplete: 'current-password', error: m.fields?.['remove-current'] })}
          <div class="actions"><button type="submit" class="secondary">Turn off two-factor sign-in</button></div>
        </form>`}` : html`
        <p>Off. With it on, signing in also needs a code from an app on your phone, so a stolen password alone is not enough.</p>
        <p><a class="button" href="/account/two-factor">Set up two-factor sign-in</a></p>`}
      <h2>Email reminders</h2>
      <form method="post" action="/account/reminders">
        ${csrfField(ctx)}
        <div class="field"><label><input type="checkbox" name="emailReminders" value="on"${reminders ? html` checked` : ''}> Email me reminders (observations waiting for my acknowledgement, drafts left open)</label></div>
        <p class="hint">Invitations, password links and notices of new observations and certificates are always sent.</p>
        <div class="actions"><button type="submit" class="secondary">Save</button></div>
      </form>
      <h2>Sign out everywhere</h2>
      <p>Ends every session of your account, on every device, this one included.</p>
      <form method="post" action="/account/sign-out-everywhere">${csrfField(ctx)}<button type="submit" class="secondary">Sign out everywhere</button></form>`), status)
  }

  app.get('/account', { schema: { hide: true } }, async (request, reply) => {
    const session = requireSignIn(request, reply)
    return session && accountPage(request, reply, session)
  })

  app.post('/account/password', { schema: { hide: true, body: PasswordForm } }, async (request, reply) => {
    const session = requireSignIn(request, reply)
    if (!session) return reply
    const result = await changePassword(app.db, sessionContext(request, session.principal), request.body as { current: string; password: string; confirm: string }, session.tokenHash, new Date())
    if (result.ok) return accountPage(request, reply, session, { success: `Password changed. ${result.sessionsEnded} other session${result.sessionsEnded === 1 ? '' : 's'} ended.` })
    if (result.field === 'wait') return accountPage(request, reply, session, { error: result.message }, 429)
    return accountPage(request, reply, session, { fields: { [result.field]: result.message } }, 422)
  })

  app.post('/account/reminders', { schema: { hide: true, body: RemindersForm } }, async (request, reply) => {
    const session = requireSignIn(request, reply)
    if (!session) return reply
    const on = (request.body as { emailReminders?: string }).emailReminders === 'on'
    await updateMySettings(app.db, sessionContext(request, session.principal), { emailReminders: on }, undefined)
    return accountPage(request, reply, session, { success: on ? 'Reminder emails are on.' : 'Reminder emails are off.' })
  })

  app.post('/account/sign-out-everywhere', { schema: { hide: true, body: Empty } }, async (request, reply) => {
    const session = requireSignIn(request, reply)
    if (!session) return reply
    await signOutEverywhere(app.db, sessionContext(request, session.principal))
    return reply.clearCookie(SESSION_COOKIE, { path: '/' }).redirect('/sign-in', 303)
  })

  const enrolPage = async (request: FastifyRequest, reply: FastifyReply, session: WebSession, error?: string, status = 200) => {
    const setup = await startEnrolment(app.db, app.identity, session.principal.accountId)
    if (!setup) return reply.redirect('/account', 303)
    const ctx = pageContext(request, '/account')
    return sendPage(reply, page(ctx, 'Set up two-factor sign-in', html`${error ? notice('error', error) : ''}${enrolForm(ctx, '/account/two-factor', setup)}`), status)
  }

  app.get('/account/two-factor', { schema: { hide: true } }, async (request, reply) => {
    const session = requireSignIn(request, reply)
    return session && enrolPage(request, reply, session)
  })

  app.post('/account/two-factor', { schema: { hide: true, body: CodeForm } }, async (request, reply) => {
    const session = requireSignIn(request, reply)
    if (!session) return reply
    const result = await confirmEnrolment(app.db, app.identity, sessionContext(request, session.principal), session.principal.accountId, (request.body as { code: string }).code, new Date())
    if (!result.ok) return enrolPage(request, reply, session, result.reason === 'wait' ? waitMessage(result.seconds) : 'That code is not right. Type the code the app shows now.', result.reason === 'wait' ? 429 : 422)
    return sendPage(reply, page(pageContext(request, '/account'), 'Two-factor sign-in is on', html`
      ${notice('success', 'Two-factor sign-in is on. From your next sign-in on, you type a code from the app after your password.')}
      ${recoveryCodesView(result.recoveryCodes, { href: '/account', label: 'Back to your account' })}`))
  })

  app.post('/account/recovery-codes', { schema: { hide: true, body: Empty } }, async (request, reply) => {
    const session = requireSignIn(request, reply)
    if (!session) return reply
    const codes = await renewRecoveryCodes(app.db, app.identity, sessionContext(request, session.principal), session.principal.accountId)
    if (!codes) return reply.redirect('/account', 303)
    return sendPage(reply, page(pageContext(request, '/account'), 'New recovery codes', html`
      ${notice('success', 'New recovery codes made; the old ones no longer work.')}
      ${recoveryCodesView(codes, { href: '/account', label: 'Back to your account' })}`))
  })

  app.post('/account/two-factor/remove', { schema: { hide: true, body: CurrentForm } }, async (request, reply) => {
    const session = requireSignIn(request, reply)
    if (!session) return reply
    if (totpRequired(app.identity, session.principal.role)) return accountPage(request, reply, session, { error: 'Your role requires two-factor sign-in; it stays on.' }, 403)
    const checked = await checkOwnPassword(app.db, session.principal.accountId, (request.body as { current: string }).current, new Date())
    if (!checked.ok) return accountPage(request, reply, session, { fields: { 'remove-current': checked.message } }, checked.seconds ? 429 : 422)
    await removeTwoFactor(app.db, sessionContext(request, session.principal), session.principal.accountId)
    return accountPage(request, reply, session, { success: 'Two-factor sign-in is off.' })
  })
}
