import { createTransport } from 'nodemailer'
import type { Config } from '../config.ts'

/** One message as the transport sends it (already rendered). */
export interface OutgoingMail { to: string; subject: string; text: string; html: string }

/** Sends one message; resolves once the SMTP server accepted it, rejects otherwise. */
export interface MailTransport {
  send(mail: OutgoingMail): Promise<void>
  close(): void
}

/**
 * Each stage bounded, so one send can never outlast the claim's lease (worker.ts): a stuck server
 * costs an attempt, not a message sent twice.
 */
const TIMEOUTS = { connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 30_000 }

/** `Rapport <no-reply@{host}>` from PUBLIC_BASE_URL, unless MAIL_FROM says otherwise. */
export function mailFrom(config: Pick<Config, 'MAIL_FROM' | 'PUBLIC_BASE_URL'>): string {
  return config.MAIL_FROM ?? `Rapport <no-reply@${new URL(config.PUBLIC_BASE_URL).hostname}>`
}

/** nodemailer over SMTP_URL (smtp:// or smtps://, credentials in the URL); null without SMTP: messages are kept. */
export function smtpTransport(config: Pick<Config, 'SMTP_URL' | 'MAIL_FROM' | 'PUBLIC_BASE_URL'>): MailTransport | null {
  if (!config.SMTP_URL) return null
  const from = mailFrom(config)
  const mailer = createTransport({ url: config.SMTP_URL, ...TIMEOUTS })
  return {
    async send(mail) { await mailer.sendMail({ from, ...mail }) },
    close() { mailer.close() }
  }
}
