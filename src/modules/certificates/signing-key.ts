import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { ConfigError, type Config } from '../../config.ts'

/** The public half of an Ed25519 key as a JWK (RFC 8037). */
export interface Ed25519PublicJwk { kty: 'OKP'; crv: 'Ed25519'; x: string }

export interface SigningKey {
  /** RFC 7638 thumbprint of the public key: stable for a key, so verifiers can pick it from the JWK set. */
  kid: string
  privateKey: KeyObject
  publicJwk: Ed25519PublicJwk
  /** False when the key was generated and kept in DATA_DIR: fine for a trial, but production should configure one. */
  configured: boolean
  /** Where an unconfigured key lives. */
  file?: string
}

export interface PublicJwks {
  keys: Array<Ed25519PublicJwk & { kid: string; alg: 'EdDSA'; use: 'sig' }>
}

export const KEY_FILE = 'credential-signing-key.pem'

const fail = (why: string): never => {
  throw new ConfigError(`Invalid configuration:\n  CREDENTIAL_SIGNING_KEY: ${why}`)
}

/** RFC 7638: SHA-256 over the required members (crv, kty, x) in lexicographic order, no whitespace. */
export function jwkThumbprint(jwk: Ed25519PublicJwk): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x })
  return createHash('sha256').update(canonical).digest('base64url')
}

function publicJwkOf(privateKey: KeyObject): Ed25519PublicJwk {
  const { x } = createPublicKey(privateKey).export({ format: 'jwk' })
  return { kty: 'OKP', crv: 'Ed25519', x: x! }
}

/** A PKCS#8 PEM (real newlines, or `\n` as an .env file often carries them) or a private JWK. */
function parseConfigured(text: string): KeyObject {
  const value = text.trim()
  let key: KeyObject
  if (value.startsWith('{')) {
    let jwk: Record<string, unknown>
    try {
      jwk = JSON.parse(value) as Record<string, unknown>
    } catch {
      return fail('looks like a JWK but is not valid JSON')
    }
    if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.d !== 'string' || typeof jwk.x !== 'string') {
      return fail('a JWK must be an Ed25519 private key: {"kty":"OKP","crv":"Ed25519","d":…,"x":…}')
    }
    try {
      key = createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' })
    } catch {
      return fail('the JWK is not a valid Ed25519 private key')
    }
    // Node derives the public key from d; an x that disagrees would publish a key nothing was signed with.
    if (publicJwkOf(key).x !== jwk.x) fail('the JWK\'s "x" is not the public key of its "d"')
  } else if (value.startsWith('-----BEGIN')) {
    try {
      key = createPrivateKey({ key: value.replace(/\\n/g, '\n'), format: 'pem' })
    } catch {
      return fail('the PEM could not be read as a private key (expected PKCS#8, "BEGIN PRIVATE KEY")')
    }
  } else {
    return fail('expected an Ed25519 private key as PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----") or as a JWK (JSON)')
  }
  if (key.asymmetricKeyType !== 'ed25519') fail(`the key is ${key.asymmetricKeyType ?? 'not asymmetric'}; credentials are signed with Ed25519 (EdDSA)`)
  return key
}

/**
 * Reads the key kept in DATA_DIR, or creates it. The file is written exclusively ('wx'), so when two
 * processes start together on one data directory the second one reads the first one's key.
 */
function keptKey(dataDir: string): { key: KeyObject; file: string } {
  const file = resolve(join(dataDir, KEY_FILE))
  const read = () => {
    let key: KeyObject
    try {
      key = createPrivateKey(readFileSync(file, 'utf8'))
    } catch (err) {
      throw new ConfigError(`The credential signing key in ${file} cannot be read (${(err as Error).message}); restore it, or set CREDENTIAL_SIGNING_KEY.`)
    }
    if (key.asymmetricKeyType !== 'ed25519') throw new ConfigError(`The credential signing key in ${file} is not an Ed25519 key; restore it, or set CREDENTIAL_SIGNING_KEY.`)
    return key
  }
  if (existsSync(file)) return { key: read(), file }
  mkdirSync(dataDir, { recursive: true })
  const { privateKey } = generateKeyPairSync('ed25519')
  try {
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' })
    return { key: privateKey, file }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { key: read(), file }
    throw err
  }
}

/** The key that signs credentials: the configured one, else the one kept in DATA_DIR (created on first use). */
export function loadSigningKey(config: Pick<Config, 'CREDENTIAL_SIGNING_KEY' | 'DATA_DIR'>): SigningKey {
  const configured = config.CREDENTIAL_SIGNING_KEY !== undefined
  const { key, file } = configured ? { key: parseConfigured(config.CREDENTIAL_SIGNING_KEY!), file: undefined } : keptKey(config.DATA_DIR)
  const publicJwk = publicJwkOf(key)
  return { kid: jwkThumbprint(publicJwk), privateKey: key, publicJwk, configured, ...(file ? { file } : {}) }
}

/** The issuer's public keys as a JWK set (RFC 7517), for verifiers using any JOSE library. */
export function publicJwks(key: SigningKey): PublicJwks {
  return { keys: [{ ...key.publicJwk, kid: key.kid, alg: 'EdDSA', use: 'sig' }] }
}
