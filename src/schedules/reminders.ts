import { sql, type SQL } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { rows } from '../db/rows.ts'
import { queueMail } from '../mail/queue.ts'
import type { DailyJob, DailyJobContext } from './tick.ts'

/**
 * The reminder emails, daily per organization: to trainees, observations submitted N days ago or
 * more and not yet acknowledged (N = the program's acknowledge_reminder_days); to supervisors,
 * drafts open N days or more (draft_reminder_days). Days are counted between local dates in the
 * organization's zone. One message per person and run names how many; each observation is
 * reminded of once (reminders_sent), so a day the service missed is caught up the next, never
 * twice. People who turned reminders off, deactivated accounts and accounts without an address
 * get none (and their observations stay unreminded, should they turn reminders on again).
 */
export type ReminderKind = 'acknowledge' | 'draft'

/** People per statement. */
const REMINDER_BATCH = 200

interface Due { account_id: string; email: string; name: string; days: number | string; ids: string[] | string }

const uuids = (v: string[] | string): string[] => (Array.isArray(v) ? v : v.replace(/^\{|\}$/g, '').split(',').filter(Boolean))

/** Who is due a reminder of `kind` today, with the observations it is about. */
function dueQuery(kind: ReminderKind, job: DailyJobContext): SQL {
  const [person, days, status, since] = kind === 'acknowledge'
    ? [sql`join trainees p on p.id = o.trainee_id join accounts a on a.trainee_id = p.id`, sql`pr.acknowledge_reminder_days`, sql`'submitted'`, sql`o.submitted_at`]
    : [sql`join supervisors p on p.id = o.supervisor_id join accounts a on a.supervisor_id = p.id`, sql`pr.draft_reminder_days`, sql`'draft'`, sql`o.created_at`]
  return sql`
    select a.id as account_id, a.email, a.name, min(${days}) as days, array_agg(o.id order by o.id) as ids
    from observations o
    join programs pr on pr.id = o.program_id
    ${person}
    where p.organization_id = ${job.organizationId} and p.active and pr.active
      and o.status = ${status} and ${days} is not null
      and (${since} at time zone ${job.timeZone})::date <= ${job.today}::date - ${days}
      and a.active and a.email is not null and a.email_reminders
      and not exists (select 1 from reminders_sent r where r.kind = ${kind} and r.object_id = o.id)
    group by a.id, a.email, a.name
    order by a.id
    limit ${REMINDER_BATCH}`
}

/** Sends one kind of reminder for the organization; answers the messages queued. */
export async function sendReminders(tx: Db, kind: ReminderKind, job: DailyJobContext, publicBaseUrl: string): Promise<number> {
  let queued = 0
  for (;;) {
    const due = await rows<Due>(tx, dueQuery(kind, job))
    for (const d of due) {
      const ids = uuids(d.ids)
      const vars = { name: d.name, count: ids.length, days: Number(d.days) }
      await queueMail(tx, kind === 'acknowledge'
        ? { template: 'acknowledge-reminder', to: d.email, accountId: d.account_id, vars: { ...vars, link: `${publicBaseUrl}/my/observations` } }
        : { template: 'draft-reminder', to: d.email, accountId: d.account_id, vars: { ...vars, link: `${publicBaseUrl}/my/trainees` } })
      await tx.execute(sql`insert into reminders_sent (kind, object_id) select ${kind}, unnest(${`{${ids.join(',')}}`}::uuid[]) on conflict do nothing`)
      queued++
    }
    // Those reminded drop out of the next statement's answer.
    if (due.length < REMINDER_BATCH) return queued
  }
}

export function reminderJobs(publicBaseUrl: string): DailyJob[] {
  return [
    { name: 'acknowledge-reminders', run: async (tx, job) => { await sendReminders(tx, 'acknowledge', job, publicBaseUrl) } },
    { name: 'draft-reminders', run: async (tx, job) => { await sendReminders(tx, 'draft', job, publicBaseUrl) } }
  ]
}
