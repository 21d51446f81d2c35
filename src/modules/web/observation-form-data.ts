import type { FieldProblem } from '../../errors.ts'
import type { RubricDefinition } from '../rubrics/rubric-schemas.ts'

/**
 * The scoring form's fields and the API's observation body, both ways, so a page posts exactly
 * what an API client would and every problem the API reports lands next to its field.
 */
export type FormValues = Record<string, string>
export type FieldErrors = Record<string, string>

const NARRATIVE = ['contextNote', 'strengths', 'areasForGrowth', 'actionPlan'] as const
const NOT_OBSERVED = 'not-observed'

const text = (v: string | undefined) => (v === undefined || v.trim() === '' ? null : v.trim())

/** The edits a form post stands for (the fields every observation has, and each criterion's score). */
export function editsFromForm(form: FormValues, definition: RubricDefinition) {
  const scores = definition.areas.flatMap((a) => a.criteria).map((c) => {
    const choice = form[`level.${c.key}`]
    const evidence = text(form[`evidence.${c.key}`])
    if (choice === NOT_OBSERVED) return { criterionKey: c.key, notObserved: true, evidence }
    if (choice !== undefined && choice !== '') return { criterionKey: c.key, level: Number(choice), evidence }
    return { criterionKey: c.key, level: null, evidence }
  })
  return {
    sessionDate: form.sessionDate ?? '',
    durationMinutes: /^\d{1,4}$/.test(form.durationMinutes ?? '') ? Number(form.durationMinutes) : form.durationMinutes as unknown as number,
    setting: (form.setting ?? '').trim(),
    modality: form.modality ?? '',
    ...Object.fromEntries(NARRATIVE.map((k) => [k, text(form[k])])),
    scores
  }
}

/** What a stored observation shows in the form. */
export function formFromView(view: {
  sessionDate: string; durationMinutes: number; setting: string; modality: string; contextNote?: string | null
  strengths?: string | null; areasForGrowth?: string | null; actionPlan?: string | null
  scores: Array<{ criterionKey: string; level: number | null; notObserved: boolean; evidence?: string | null }>
}): FormValues {
  const values: FormValues = {
    sessionDate: view.sessionDate, durationMinutes: String(view.durationMinutes), setting: view.setting, modality: view.modality,
    contextNote: view.contextNote ?? '', strengths: view.strengths ?? '', areasForGrowth: view.areasForGrowth ?? '', actionPlan: view.actionPlan ?? ''
  }
  for (const s of view.scores) {
    values[`level.${s.criterionKey}`] = s.notObserved ? NOT_OBSERVED : s.level === null ? '' : String(s.level)
    values[`evidence.${s.criterionKey}`] = s.evidence ?? ''
  }
  return values
}

/** The form field an API problem is about: `/scores/3/level` → the fourth criterion's choice. */
export function errorsByField(problems: FieldProblem[], definition: RubricDefinition): FieldErrors {
  const keys = definition.areas.flatMap((a) => a.criteria.map((c) => c.key))
  const out: FieldErrors = {}
  for (const p of problems) {
    const score = /^\/scores\/(\d+)(?:\/(\w+))?/.exec(p.pointer)
    const field = score
      ? `${score[2] === 'evidence' ? 'evidence' : 'level'}.${keys[Number(score[1])] ?? ''}`
      : p.pointer.replace(/^\//, '').split('/')[0] ?? ''
    out[field] ??= plain(p.detail)
  }
  return out
}

/** Schema wording, made readable for people. */
function plain(detail: string): string {
  return detail
    .replace(/^must be integer$/, 'Enter a whole number.')
    .replace(/^must be string$/, 'This is required.')
    .replace(/^must match format "date"$/, 'Enter a date.')
    .replace(/^must NOT have fewer than 1 characters$/, 'This is required.')
    .replace(/^must be >= 1$/, 'Enter at least 1.')
    .replace(/^must be <= 1440$/, 'Enter at most 1440 minutes (a day).')
    .replace(/^must be one of: in_person, video, audio, simulated$/, 'Choose how the session took place.')
}
