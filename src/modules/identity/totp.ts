import QRCode from 'qrcode'
import { Secret, TOTP } from 'otpauth'

/**
 * TOTP (RFC 6238) through the otpauth library, with the parameters every authenticator app
 * understands: HMAC-SHA-1, 6 digits, 30-second steps, and one step of clock drift either way.
 */
const PERIOD = 30
const DIGITS = 6
const WINDOW = 1

/** A new random secret (160 bits, as RFC 4226 recommends), in the base32 that apps are given. */
export const newTotpSecret = (): string => new Secret({ size: 20 }).base32

/** The otpauth:// URI an authenticator app reads from the QR code. */
export function totpUri(secret: string, o: { issuer: string; label: string }): string {
  return new TOTP({ issuer: o.issuer, label: o.label, secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: DIGITS, period: PERIOD }).toString()
}

/** Only the digits a person typed, whatever spaces or dashes they added. */
export const normalizeCode = (code: string): string => code.replace(/[\s-]/g, '')

/**
 * The time step a code belongs to, when it is right for `now` and newer than the last step used:
 * a code works once, even within its 30 seconds. Null otherwise.
 */
export function acceptedStep(secret: string, code: string, now: Date, lastUsedStep: number | null): number | null {
  const token = normalizeCode(code)
  if (!new RegExp(`^\\d{${DIGITS}}$`).test(token)) return null
  const delta = TOTP.validate({ token, secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: DIGITS, period: PERIOD, timestamp: now.getTime(), window: WINDOW })
  if (delta === null) return null
  const step = TOTP.counter({ period: PERIOD, timestamp: now.getTime() }) + delta
  return lastUsedStep !== null && step <= lastUsedStep ? null : step
}

/** The enrolment QR code as an SVG data: URL (the pages' CSP allows data: images). */
export async function qrDataUrl(uri: string): Promise<string> {
  const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 })
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`
}
