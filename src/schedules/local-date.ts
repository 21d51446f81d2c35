/**
 * Dates in an organization's time zone: "today" and "N days" are counted there, never in the
 * server's zone. Intl carries the zone rules (the same IANA database Postgres uses).
 */
const formatters = new Map<string, Intl.DateTimeFormat>()

const formatter = (timeZone: string): Intl.DateTimeFormat => {
  let f = formatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', hourCycle: 'h23' })
    formatters.set(timeZone, f)
  }
  return f
}

/** The local date (`YYYY-MM-DD`) and hour (0-23) at `now` in `timeZone`. */
export function localDateTime(timeZone: string, now: Date = new Date()): { date: string; hour: number } {
  const parts = Object.fromEntries(formatter(timeZone).formatToParts(now).map((p) => [p.type, p.value]))
  return { date: `${parts.year}-${parts.month}-${parts.day}`, hour: Number(parts.hour) }
}

/** The local date `days` after (negative: before) `date`, both `YYYY-MM-DD`: calendar arithmetic, no zone involved. */
export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + days)
  return d.toISOString().slice(0, 10)
}

/** Whether the service can compute dates in this zone (the database check is the organization service's). */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone })
    return true
  } catch {
    return false
  }
}
