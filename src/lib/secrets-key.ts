import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { ConfigError, type Config } from '../config.ts'

/**
 * The key that keeps stored secrets (TOTP secrets today, webhook secrets later) unreadable to
 * whoever reads the database alone: AES-256-GCM for what must be read back, HMAC-SHA-256 for what
 * is only compared (recovery codes). Configured as SECRETS_KEY (32 bytes, base64 or hex), or
 * generated once and kept in DATA_DIR, like the credential signing key.
 */
export interface SecretsKey {
  encrypt(plain: string): string
  decrypt(sealed: string): string
  /** A keyed hash: equal inputs give equal outputs, and the database alone cannot test guesses. */
  digest(value: string): string
  /** False when the key was generated and kept in DATA_DIR: fine for a trial, not for production. */
  configured: boolean
  file?: string
}

export const SECRETS_KEY_FILE = 'secrets-key'
const VERSION = 'v1'

function parse(text: string, where: string): Buffer {
  const value = text.trim()
  const key = /^[0-9a-f]{64}$/i.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64')
  if (key.length !== 32) throw new ConfigError(`Invalid configuration:\n  ${where}: expected 32 bytes as base64 or 64 hex digits (openssl rand -base64 32)`)
  return key
}

/** Created exclusively ('wx'), so two processes starting on one data directory share one key. */
function keptKey(dataDir: string): { key: Buffer; file: string } {
  const file = resolve(join(dataDir, SECRETS_KEY_FILE))
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true })
    try {
      writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
  }
  return { key: parse(readFileSync(file, 'utf8'), file), file }
}

export function secretsKeyFrom(key: Buffer, configured = true, file?: string): SecretsKey {
  return {
    configured,
    ...(file ? { file } : {}),
    encrypt(plain) {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
      return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.')
    },
    decrypt(sealed) {
      const [version, iv, tag, body] = sealed.split('.')
      if (version !== VERSION || !iv || !tag || body === undefined) throw new Error('not a sealed secret')
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
      decipher.setAuthTag(Buffer.from(tag, 'base64url'))
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8')
    },
    digest(value) {
      return createHmac('sha256', key).update(value).digest('base64url')
    }
  }
}

/** The configured key, else the one kept in DATA_DIR (created on first use). */
export function loadSecretsKey(config: Pick<Config, 'SECRETS_KEY' | 'DATA_DIR'>): SecretsKey {
  if (config.SECRETS_KEY !== undefined) return secretsKeyFrom(parse(config.SECRETS_KEY, 'SECRETS_KEY'))
  const { key, file } = keptKey(config.DATA_DIR)
  return secretsKeyFrom(key, false, file)
}
