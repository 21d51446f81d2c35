/**
 * The pages' only script, served from memory. The pages work without it; it adds, on the scoring
 * form, a draft autosave every few seconds (the same post as "Save draft", answered in JSON) and a
 * warning before leaving with unsaved changes. When someone else saved the draft meanwhile, it
 * stops saving and says so: the typing stays on the page and nothing is overwritten.
 */
export const APP_JS = `(() => {
  'use strict'
  const form = document.querySelector('form[data-autosave]')
  if (!form) return
  const status = form.querySelector('[data-save-status]')
  const INTERVAL_MS = 5000
  let dirty = false
  let saving = false
  let stopped = false
  let leaving = false
  const say = (text) => { if (status) status.textContent = text }
  form.addEventListener('input', () => { dirty = true })
  form.addEventListener('change', () => { dirty = true })
  form.addEventListener('submit', () => { leaving = true })
  window.addEventListener('beforeunload', (event) => {
    // A save still on its way counts as unsaved: leaving now could cancel it.
    if ((dirty || saving) && !leaving) { event.preventDefault(); event.returnValue = '' }
  })
  async function save () {
    if (!dirty || saving || stopped || leaving) return
    saving = true
    dirty = false
    const data = new URLSearchParams(new FormData(form))
    data.set('action', 'autosave')
    try {
      // form.action would be the buttons named "action" (a form's controls shadow its properties).
      const res = await fetch(form.getAttribute('action') || location.href, { method: 'POST', body: data, headers: { accept: 'application/json' }, credentials: 'same-origin' })
      const body = await res.json().catch(() => ({}))
      if (res.ok && body.saved) {
        let revision = form.querySelector('input[name=revision]')
        if (!revision) {
          revision = document.createElement('input')
          revision.type = 'hidden'
          revision.name = 'revision'
          form.prepend(revision)
        }
        revision.value = String(body.revision)
        if (body.editUrl && form.getAttribute('action') !== body.editUrl) {
          form.setAttribute('action', body.editUrl)
          history.replaceState(null, '', body.editUrl)
        }
        say('Draft saved automatically at ' + new Date().toLocaleTimeString() + '.')
      } else if (res.status === 409) {
        stopped = true
        dirty = true
        say(body.message || 'This draft was changed elsewhere; automatic saving has stopped. Your changes are still here: use Save draft.')
      } else {
        dirty = true
        say(body.message || 'Not saved automatically yet; use Save draft to see what needs attention.')
      }
    } catch {
      dirty = true
      say('Could not reach the server; your changes are still here and will be saved when it answers again.')
    } finally {
      saving = false
    }
  }
  setInterval(save, INTERVAL_MS)
})()
`
