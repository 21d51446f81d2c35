import type { EligibilityArea, EvaluatedObservation } from '../../src/modules/eligibility/evaluate.ts'

/** Two areas, four criteria (one weighted), on a 1-4 scale: small enough to reason about by hand. */
export const AREAS: EligibilityArea[] = [
  { key: 'safety', title: 'Safe environment', weight: 2, criteria: [{ key: 'eye', title: 'Eye contact', weight: 1 }, { key: 'posture', title: 'Open posture', weight: 3 }] },
  { key: 'listening', title: 'Active listening', weight: 1, criteria: [{ key: 'para', title: 'Paraphrasing', weight: 1 }, { key: 'cues', title: 'Non-verbal cues', weight: 1 }] }
]

let seq = 0
/** An observation with every criterion at `level` unless `levels` says otherwise. */
export function obs(sessionDate: string, o: Partial<Omit<EvaluatedObservation, 'levels'>> & { level?: number; levels?: Record<string, number | null> } = {}): EvaluatedObservation {
  const level = o.level ?? 3
  const levels = { eye: level, posture: level, para: level, cues: level, ...o.levels }
  seq += 1
  return {
    id: o.id ?? `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    sessionDate,
    supervisorId: o.supervisorId ?? 'sup-a',
    modality: o.modality ?? 'in_person',
    setting: o.setting ?? 'Hospice room',
    durationMinutes: o.durationMinutes ?? 50,
    acknowledged: o.acknowledged ?? true,
    levels: new Map(Object.entries(levels))
  }
}
