import { problem } from '../errors.ts'

/**
 * A period ends on or after the day it starts; an open end (null) is always fine. Dates are
 * YYYY-MM-DD, so comparing the strings compares the days.
 */
export function checkDateRange(startsOn: string | null, endsOn: string | null): void {
  if (startsOn !== null && endsOn !== null && endsOn < startsOn) {
    throw problem('period-ends-before-start', `The period would end (${endsOn}) before it starts (${startsOn}).`,
      { errors: [{ pointer: '/endsOn', detail: `must be on or after startsOn (${startsOn})` }] })
  }
}
