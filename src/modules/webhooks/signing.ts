import { createHmac, randomBytes } from 'node:crypto'

/**
 * Standard Webhooks signing (spec v1.0.0), in-house with node:crypto: the receiver's library
 * (`standardwebhooks`) is only a test dependency. A secret is `whsec_` + base64 of 32 random bytes;
 * the signed content is `{id}.{timestamp}.{body}`, HMAC-SHA256 keyed with the decoded secret.
 */
const PREFIX = 'whsec_'

export const newSecret = (): string => `${PREFIX}${randomBytes(32).toString('base64')}`

const keyOf = (secret: string): Buffer => Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, 'base64')

/** One `v1,<base64>` signature. */
export function sign(secret: string, msgId: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', keyOf(secret)).update(`${msgId}.${timestamp}.${body}`).digest('base64')}`
}

/** Receivers dedupe on it: the same for every attempt, manual retry and replay of one event. */
export const messageIdOf = (eventId: string): string => `msg_${eventId}`

/**
 * The three headers of one attempt. While a rotated-out secret is still valid it signs too: the
 * header is a space-separated list, and a receiver holding either secret verifies the message.
 */
export function signedHeaders(secrets: readonly string[], eventId: string, timestamp: number, body: string): Record<string, string> {
  const id = messageIdOf(eventId)
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': secrets.map((s) => sign(s, id, timestamp, body)).join(' ')
  }
}
