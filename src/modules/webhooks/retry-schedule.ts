/**
 * When a failed delivery is tried again: the Standard Webhooks example schedule (immediately, then
 * 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h: about 3.1 days in all), each wait with ±20 %
 * jitter so that receivers coming back from an outage are not hit by every sender at once.
 */
const S = 1000
const M = 60 * S
const H = 60 * M

/** Waits after attempt 1, 2, ...; after the last one the delivery has failed. */
export const RETRY_DELAYS_MS = [5 * S, 5 * M, 30 * M, 2 * H, 5 * H, 10 * H, 14 * H, 20 * H, 24 * H] as const
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1
export const JITTER = 0.2
/** A Retry-After never parks a delivery longer than this. */
export const MAX_RETRY_AFTER_MS = 24 * H
/** An endpoint failing without a success for this long is deactivated (`disabled_reason = 'failing'`). */
export const FAILING_DISABLE_MS = 5 * 24 * H

/**
 * The wait after attempt `attempt` (1-based) failed, or null when none is left. A Retry-After (on
 * 429 and 503) lengthens the wait, never shortens it.
 */
export function retryDelayMs(attempt: number, retryAfterMs: number | undefined, random: () => number = Math.random): number | null {
  const base = RETRY_DELAYS_MS[attempt - 1]
  if (base === undefined) return null
  const jittered = Math.round(base * (1 - JITTER + 2 * JITTER * random()))
  return retryAfterMs === undefined ? jittered : Math.max(jittered, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS))
}

/** Retry-After as seconds or an HTTP-date (RFC 9110 §10.2.3), in milliseconds from `now`. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined
  const text = value.trim()
  if (/^\d{1,10}$/.test(text)) return Number(text) * S
  const at = Date.parse(text)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}
