/** Each eligibility status as a coordinator reads it on pages and in the cohort report. */
export const ELIGIBILITY_LABEL = { eligible: 'Eligible', close: 'One rule short', not_eligible: 'Not yet' } as const
