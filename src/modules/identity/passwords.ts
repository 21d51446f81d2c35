import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'

/**
 * Passwords are hashed with scrypt, a memory-hard function (RFC 7914): N = 2^15, r = 8 makes every
 * guess cost 32 MiB and tens of milliseconds, which defeats GPU farms. Hashing runs on libuv's thread
 * pool, never on the event loop. The parameters are stored with each hash, so they can be raised later.
 */
const N = 2 ** 15
const R = 8
const P = 1
const KEY_LENGTH = 32
/** Node refuses scrypt above 32 MiB unless told; the cost above needs 128 · N · r = 32 MiB. */
const MAX_MEM = 64 * 1024 * 1024

export const PASSWORD_MIN_LENGTH = 12
export const PASSWORD_MAX_LENGTH = 200

function derive(password: string, salt: Buffer, o: { N: number; r: number; p: number; length: number }): Promise<Buffer> {
  const options: ScryptOptions = { N: o.N, r: o.r, p: o.p, maxmem: MAX_MEM }
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, o.length, options, (err, key) => (err ? reject(err) : resolve(key))))
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await derive(password, salt, { N, r: R, p: P, length: KEY_LENGTH })
  return ['scrypt', N, R, P, salt.toString('base64url'), key.toString('base64url')].join('$')
}

/** A stored hash no account has, so an unknown email costs as much time as a wrong password. */
let decoy: Promise<string> | undefined

export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  const parts = (stored ?? await (decoy ??= hashPassword(randomBytes(16).toString('hex')))).split('$')
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string]
  const expected = Buffer.from(hash, 'base64url')
  const key = await derive(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p), length: expected.length })
  return stored !== null && timingSafeEqual(key, expected)
}

/** What a password must be, in words a person can act on; null when it is acceptable. */
export function passwordProblem(password: string, context: { email?: string | null; name?: string }): string | null {
  if (password.length < PASSWORD_MIN_LENGTH) return `Use at least ${PASSWORD_MIN_LENGTH} characters (a short sentence works well).`
  if (password.length > PASSWORD_MAX_LENGTH) return `Use at most ${PASSWORD_MAX_LENGTH} characters.`
  const lower = password.toLowerCase()
  const local = context.email?.split('@')[0]?.toLowerCase()
  if ((local && local.length >= 4 && lower.includes(local)) || (context.name && lower.includes(context.name.toLowerCase()))) {
    return 'Do not use your name or email address in your password.'
  }
  if (new Set(password).size < 5) return 'Use a less repetitive password.'
  return null
}
