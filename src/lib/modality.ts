/**
 * How a session took place: the one list of values (the database enum, the API schemas and the
 * form are made from it) and the one set of names people read (web pages and reports).
 */
export const MODALITIES = ['in_person', 'video', 'audio', 'simulated'] as const
export type Modality = (typeof MODALITIES)[number]

/** The name shown on pages and in reports, e.g. "Audio or phone". */
export const MODALITY_LABEL: Record<Modality, string> = {
  in_person: 'In person', video: 'Video', audio: 'Audio or phone', simulated: 'Simulated (role play)'
}

/** The name inside a sentence, e.g. "1 more in-person observation". */
export const MODALITY_IN_SENTENCE: Record<Modality, string> = {
  in_person: 'in-person', video: 'video', audio: 'audio or phone', simulated: 'simulated'
}

/** The label of a stored value; an unknown one (never expected) is shown as stored. */
export const modalityLabel = (value: string): string => MODALITY_LABEL[value as Modality] ?? value
