import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'
import { simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'

export interface ReceivedMail { to: string[]; from: string; subject: string; text: string; html: string }

export interface TestSmtp {
  /** SMTP_URL for the app. */
  url: string
  received: ReceivedMail[]
  /** The next `n` messages refused with a temporary error (451) at DATA, then accepted again. */
  refuseNext(n: number): void
  /** How many deliveries were refused so far. */
  refused(): number
}

/**
 * A real SMTP server on a loopback port, collecting what it receives through mailparser.
 * STARTTLS is off: nodemailer upgrades when offered and would meet a self-signed certificate.
 */
export async function startSmtp(t: Test): Promise<TestSmtp> {
  const received: ReceivedMail[] = []
  let toRefuse = 0
  let refusedCount = 0
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS'], logger: false,
    onData(stream, session, callback) {
      simpleParser(stream).then((m) => {
        if (toRefuse > 0) {
          toRefuse--
          refusedCount++
          return callback(Object.assign(new Error('Try again later'), { responseCode: 451 }))
        }
        received.push({
          to: session.envelope.rcptTo.map((r) => r.address), from: m.from?.text ?? '',
          subject: m.subject ?? '', text: m.text ?? '', html: typeof m.html === 'string' ? m.html : ''
        })
        callback()
      }, callback)
    }
  })
  server.listen(0, '127.0.0.1')
  await once(server.server, 'listening')
  t.teardown(() => new Promise<void>((resolve) => { server.close(() => resolve()) }))
  const { port } = server.server.address() as AddressInfo
  return { url: `smtp://127.0.0.1:${port}`, received, refuseNext(n) { toRefuse = n }, refused: () => refusedCount }
}
