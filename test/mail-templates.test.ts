import t from 'tap'
import { TEMPLATES } from '../src/mail/templates/index.ts'
import type { MailTemplate, MailTemplates } from '../src/mail/templates.ts'

const EVIL = '<script>alert("x")</script> & Co'
const LINK = 'https://rapport.example/some/path/abc?x=1&y=2'

/** Values for every template, each with a name that would run as script if not escaped. */
const VARS: { [T in MailTemplate]: MailTemplates[T] } = {
  'invitation': { name: EVIL, link: LINK, expiresAt: '2026-12-08T10:30:00.000Z' },
  'password-reset': { name: EVIL, link: LINK, expiresAt: '2026-12-01T11:30:00.000Z' },
  'password-reset-by-admin': { name: EVIL, link: LINK, expiresAt: '2026-12-01T11:30:00.000Z' },
  'observation-ready': { name: EVIL, supervisorName: `Dr ${EVIL}`, link: LINK },
  'acknowledge-reminder': { name: EVIL, count: 3, days: 7, link: LINK },
  'draft-reminder': { name: EVIL, count: 1, days: 5, link: LINK },
  'certificate-issued': { name: EVIL, programName: `Care ${EVIL}`, link: LINK },
  'certificate-revoked': { name: EVIL, programName: `Care ${EVIL}`, link: LINK },
  'endpoint-disabled': { name: EVIL, url: 'https://hooks.example/in?a=1&b=2', reason: 'gone', link: LINK }
}

for (const template of Object.keys(VARS) as MailTemplate[]) {
  t.test(`${template}: subject, text and HTML, with the link, and every value escaped in HTML`, async (t) => {
    const render = TEMPLATES[template] as (v: unknown) => { subject: string; text: string; html: string }
    const mail = render(VARS[template])
    t.ok(mail.subject.length > 0 && !mail.subject.includes('\n'), 'a one-line subject')
    t.match(mail.text, `Hello ${EVIL},`, 'the text greets the person by name, as written')
    t.ok(mail.text.includes(LINK), 'the text carries the link as is')
    t.notMatch(mail.text.split(EVIL).join(''), /<[a-z]+[ >]/i, 'the text has no markup of its own (the name stays as written)')
    t.notOk(mail.html.includes('<script>'), 'no script element in the HTML')
    t.ok(mail.html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co'), 'the name is escaped text in the HTML')
    t.ok(mail.html.includes(`href="${LINK.replace(/&/g, '&amp;')}"`), 'the link is the button\'s target, escaped as an attribute')
    t.match(mail.html, /^<!doctype html>/, 'a whole HTML document')
  })
}

t.test('expiry is shown in UTC to the minute; counts read naturally', async (t) => {
  t.match(TEMPLATES.invitation(VARS.invitation).text, '2026-12-08 10:30 UTC')
  t.match(TEMPLATES['acknowledge-reminder'](VARS['acknowledge-reminder']).subject, '3 observations waiting')
  t.match(TEMPLATES['draft-reminder'](VARS['draft-reminder']).subject, '1 draft observation still open')
  t.match(TEMPLATES['endpoint-disabled']({ ...VARS['endpoint-disabled'], reason: 'failing' }).text, 'failed continuously for 5 days')
})

t.test('an observation\'s notice names the supervisor and links to it, and carries nothing else of it', async (t) => {
  const mail = TEMPLATES['observation-ready']({ name: 'Ana', supervisorName: 'Dr Rui', link: 'https://r.example/observations/1' })
  t.match(mail.text, 'Dr Rui submitted an observation')
  // The template takes no content at all (its type has no field for it); the notices test proves the feed passes none.
  t.same(Object.keys(VARS['observation-ready']).sort(), ['link', 'name', 'supervisorName'])
})
