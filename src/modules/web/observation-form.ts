import { html, type SafeHtml } from '../../lib/html.ts'
import { MODALITIES, MODALITY_LABEL } from '../../lib/modality.ts'
import type { RubricDefinition } from '../rubrics/rubric-schemas.ts'
import { csrfField, fieldError, type PageContext } from './layout.ts'
import type { FieldErrors, FormValues } from './observation-form-data.ts'

/**
 * The scoring form: session details, then the rubric area by area (each criterion a group of
 * choices showing every level's label and descriptor, "not observed" where the rubric allows it,
 * and an evidence box), then the narrative. Works without JavaScript; errors sit next to their field.
 */
export interface ScoringForm {
  action: string
  trainee: string
  definition: RubricDefinition
  values: FormValues
  errors: FieldErrors
  /** The draft's revision when it was loaded: a save made after someone else's is refused, not merged. */
  revision?: number
  /** An amendment of a submitted observation: asks for the reason, and has one button. */
  amend?: boolean
  message?: SafeHtml
}


const described = (id: string, errors: FieldErrors, hint?: string) => {
  const ids = [hint ? `${id}-hint` : null, errors[id] ? `${id}-error` : null].filter(Boolean).join(' ')
  return html`${ids ? html` aria-describedby="${ids}"` : ''}${errors[id] ? html` aria-invalid="true"` : ''}`
}

function input(f: ScoringForm, name: string, label: string, type: string, extra: { hint?: string; required?: boolean; attrs?: SafeHtml } = {}): SafeHtml {
  return html`<div class="field"><label for="${name}">${label}</label>
    ${extra.hint ? html`<p class="hint" id="${name}-hint">${extra.hint}</p>` : ''}
    <input id="${name}" name="${name}" type="${type}" value="${f.values[name] ?? ''}"${extra.required ? html` required` : ''}${extra.attrs ?? ''}${described(name, f.errors, extra.hint)}>
    ${fieldError(name, f.errors[name])}</div>`
}

function textarea(f: ScoringForm, name: string, label: string, hint?: string): SafeHtml {
  return html`<div class="field"><label for="${name}">${label}</label>
    ${hint ? html`<p class="hint" id="${name}-hint">${hint}</p>` : ''}
    <textarea id="${name}" name="${name}" rows="4"${described(name, f.errors, hint)}>${f.values[name] ?? ''}</textarea>
    ${fieldError(name, f.errors[name])}</div>`
}

function criterion(f: ScoringForm, c: RubricDefinition['areas'][number]['criteria'][number]): SafeHtml {
  const labels = new Map(f.definition.scale.map((s) => [s.value, s.label]))
  const name = `level.${c.key}`
  const chosen = f.values[name] ?? ''
  const errorId = `${name}-error`
  const choice = (value: string, label: string, descriptor: string) => {
    const id = `${c.key}-${value}`
    return html`<div class="choice"><input type="radio" id="${id}" name="${name}" value="${value}"${chosen === value ? html` checked` : ''}>
      <label for="${id}"><span class="label">${label}</span> <span class="descriptor">${descriptor}</span></label></div>`
  }
  return html`<fieldset id="${name}"${f.errors[name] ? html` aria-describedby="${errorId}"` : ''}>
    <legend>${c.title}${c.required === false ? html` <span class="muted">(optional)</span>` : ''}</legend>
    ${c.description ? html`<p class="hint">${c.description}</p>` : ''}
    ${fieldError(name, f.errors[name])}
    <div class="choices">
      ${[...c.levels].sort((a, b) => a.value - b.value).map((l) => choice(String(l.value), `${labels.get(l.value) ?? l.value} (${l.value})`, l.descriptor))}
      ${c.allowNotObserved ? choice('not-observed', 'Not observed', 'The session gave no occasion for this behaviour.') : ''}
    </div>
    ${textarea(f, `evidence.${c.key}`, `Evidence for ${c.title}`, 'What you saw or heard that supports the level.')}
  </fieldset>`
}

const FIELD_LABELS: Record<string, string> = {
  sessionDate: 'Date of the session', durationMinutes: 'Length in minutes', setting: 'Setting', modality: 'How the session took place',
  contextNote: 'Context', strengths: 'Strengths', areasForGrowth: 'Areas for growth', actionPlan: 'Action plan', reason: 'Reason for the amendment'
}

/** Every problem above the form, each a link to its field (a group's link lands on its first choice). */
function errorSummary(f: ScoringForm): SafeHtml {
  const entries = Object.entries(f.errors)
  if (entries.length === 0) return html``
  const targets = new Map<string, [string, string]>([['modality', ['modality-in_person', FIELD_LABELS.modality!]]])
  for (const c of f.definition.areas.flatMap((a) => a.criteria)) {
    targets.set(`level.${c.key}`, [`${c.key}-${Math.min(...c.levels.map((l) => l.value))}`, c.title])
    targets.set(`evidence.${c.key}`, [`evidence.${c.key}`, `Evidence for ${c.title}`])
  }
  const item = ([field, message]: [string, string]) => {
    const [id, label] = targets.get(field) ?? (FIELD_LABELS[field] ? [field, FIELD_LABELS[field]] : [])
    return id ? html`<li><a href="#${id}">${label}: ${message}</a></li>` : html`<li>${message}</li>`
  }
  return html`<div class="notice error" role="alert">
    <p>${entries.length} thing${entries.length === 1 ? ' needs' : 's need'} your attention; each is also marked at its field.</p>
    <ul>${entries.map(item)}</ul></div>`
}

export function scoringForm(ctx: PageContext, f: ScoringForm): SafeHtml {
  return html`
  ${f.message ?? ''}
  ${errorSummary(f)}
  <form method="post" action="${f.action}" novalidate${f.amend ? '' : html` data-autosave`}>
    ${csrfField(ctx)}
    ${f.revision !== undefined ? html`<input type="hidden" name="revision" value="${String(f.revision)}">` : ''}
    ${f.amend ? textarea(f, 'reason', 'Reason for the amendment', 'Required: kept with the observation\'s history. The trainee is asked to acknowledge it again.') : ''}
    <h2>Session</h2>
    <p>Trainee: <strong>${f.trainee}</strong></p>
    ${input(f, 'sessionDate', 'Date of the session', 'date', { required: true })}
    ${input(f, 'durationMinutes', 'Length in minutes', 'number', { required: true, attrs: html` min="1" max="1440" inputmode="numeric"` })}
    ${input(f, 'setting', 'Setting', 'text', { required: true, hint: 'Where it took place, e.g. "hospice room" or "school counselling office".' })}
    <fieldset id="modality"${f.errors.modality ? html` aria-describedby="modality-error"` : ''}><legend>How the session took place</legend>
      ${fieldError('modality', f.errors.modality)}
      <div class="choices">${MODALITIES.map((value) => [value, MODALITY_LABEL[value]] as const).map(([value, label]) => html`<div class="choice"><input type="radio" id="modality-${value}" name="modality" value="${value}"${f.values.modality === value ? html` checked` : ''}><label for="modality-${value}">${label}</label></div>`)}</div>
    </fieldset>
    ${textarea(f, 'contextNote', 'Context (optional)', 'Never a client\'s name: the context of the session only.')}
    ${f.definition.areas.map((area) => html`<h2>${area.title}</h2>${area.description ? html`<p class="hint">${area.description}</p>` : ''}${area.criteria.map((c) => criterion(f, c))}`)}
    <h2>Feedback</h2>
    ${textarea(f, 'strengths', 'Strengths')}
    ${textarea(f, 'areasForGrowth', 'Areas for growth')}
    ${textarea(f, 'actionPlan', 'Action plan')}
    <div class="actions">${f.amend
      ? html`<button type="submit" name="action" value="amend">Save the amendment</button>`
      : html`<button type="submit" name="action" value="save" class="secondary">Save draft</button>
      <button type="submit" name="action" value="review">Review and submit</button>`}
    </div>
    <p class="muted" aria-live="polite" data-save-status></p>
  </form>`
}
