import { sql } from 'drizzle-orm'
import type { Db } from '../../src/db/client.ts'
import { rows } from '../../src/db/rows.ts'
import { consumeOnce } from '../../src/events/consumers.ts'
import { relayOnce } from '../../src/events/relay.ts'
import { mailNotices } from '../../src/mail/notices.ts'
import { smtpTransport } from '../../src/mail/transport.ts'
import { mailWorkerOnce } from '../../src/mail/worker.ts'
import type { TestApp } from './app.ts'

/** Runs the mail worker until it has nothing left to do (as its loop would), with the app's own settings. */
export async function drainMail(t: TestApp): Promise<void> {
  const transport = smtpTransport(t.config)
  try {
    for (let i = 0; i < 100; i++) {
      if (await mailWorkerOnce({ db: t.app.db, transport, baseUrl: t.config.PUBLIC_BASE_URL, log: t.app.log }) === 0) return
    }
  } finally {
    transport?.close()
  }
}

/** Numbers the new events and feeds them to the mail-notices consumer, as the relay and its loop would. */
export async function feedNotices(t: TestApp): Promise<void> {
  await relayOnce(t.app.db)
  while (await consumeOnce(t.app.db, mailNotices(t.config.PUBLIC_BASE_URL)));
}

export interface StoredMail { id: string; template: string; to_address: string; state: string; subject: string | null; text_body: string | null; html_body: string | null; attempts: number; error: string | null }

/** The outbox's rows (oldest first), optionally of one template. */
export async function mailRows(db: Db, template?: string): Promise<StoredMail[]> {
  return rows<StoredMail>(db, sql`select id, template, to_address, state, subject, text_body, html_body, attempts, error from mail_messages
    where ${template ?? null}::text is null or template = ${template ?? null} order by created_at, id`)
}

/** The one-time link a message carries (text body). */
export const linkIn = (text: string | null | undefined): string | undefined => /https?:\/\/\S+\/(?:invitations|password-resets|observations|verify)\/\S+/.exec(text ?? '')?.[0]
