import { createHash, randomBytes } from 'node:crypto'

const PREFIX = 'rk_'

/** A new key: 32 random bytes, base64url. Only its hash is stored. */
export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const key = PREFIX + randomBytes(32).toString('base64url')
  return { key, prefix: key.slice(0, 10), hash: hashApiKey(key) }
}

/** Keys are high-entropy random secrets, so a fast hash is enough (no password stretching needed). */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex')
}
