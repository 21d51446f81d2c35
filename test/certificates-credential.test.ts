import t from 'tap'
import { createHash, generateKeyPairSync } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { loadConfig } from '../src/config.ts'
import { buildOpenBadgeCredential, CREDENTIAL_CONTEXT, signCredential, type CredentialInput } from '../src/modules/certificates/credential.ts'
import { KEY_FILE, loadSigningKey, publicJwks, type SigningKey } from '../src/modules/certificates/signing-key.ts'

/** The certificate credential, signed and then verified the way any JOSE library would: no database. */
const input = (overrides: Partial<CredentialInput> = {}): CredentialInput => ({
  certificateId: '6f1c2a0e-4b7d-4e21-9a3c-5d8e7f601234',
  serial: 'RC-2025-000042',
  programId: '0b8e6f7a-1c2d-4e3f-8a9b-0c1d2e3f4a5b',
  programName: 'Certificate in Therapeutic Relationships',
  criteriaNarrative: 'Six observed sessions at Proficient or above in every skill area.',
  traineeName: 'Zoë Ñúñez',
  traineeEmail: 'Zoe.Nunez@Example.org',
  issuedAt: new Date('2025-03-31T08:00:00.250Z'),
  verificationUrl: 'https://rapport.example.org/verify/k3J9xQ2mPz7vW4tR8yN5bC',
  baseUrl: 'https://rapport.example.org/',
  issuerName: 'Riverside Training Institute',
  ...overrides
})

const keyIn = (dir: string, CREDENTIAL_SIGNING_KEY?: string) => loadSigningKey({ DATA_DIR: dir, CREDENTIAL_SIGNING_KEY })
const verify = (jwt: string, key: SigningKey) => jwtVerify(jwt, createLocalJWKSet(publicJwks(key)), { algorithms: ['EdDSA'], typ: 'vc+jwt' })

/** Re-encodes one part of a compact JWS after changing one byte of its decoded content. */
function tamper(jwt: string, part: 1 | 2, at: (bytes: Buffer) => number): string {
  const parts = jwt.split('.')
  const bytes = Buffer.from(parts[part]!, 'base64url')
  const i = at(bytes)
  bytes[i] = bytes[i]! ^ 0x01
  parts[part] = bytes.toString('base64url')
  return parts.join('.')
}

t.test('a signed credential verifies with the published JWK set, and its payload is the credential', async (t) => {
  const key = keyIn(t.testdir())
  const credential = buildOpenBadgeCredential(input())
  const jwt = await signCredential(credential, key)
  t.equal(jwt.split('.').length, 3, 'a compact JWS')

  const { payload, protectedHeader } = await verify(jwt, key)
  t.same(protectedHeader, { alg: 'EdDSA', kid: key.kid, typ: 'vc+jwt', cty: 'vc' }, 'the VC-JOSE-COSE header')
  t.same(decodeProtectedHeader(jwt).kid, await calculateJwkThumbprint(key.publicJwk), 'kid is the RFC 7638 thumbprint')
  const { iss, jti, iat, nbf, ...claims } = payload
  t.same(claims, credential, 'the claims set is the credential itself, not wrapped in a vc claim')
  t.equal(iss, 'https://rapport.example.org/issuer', 'iss is the issuer id')
  t.equal(jti, 'urn:uuid:6f1c2a0e-4b7d-4e21-9a3c-5d8e7f601234', 'jti is the credential id')
  t.equal(iat, Date.parse('2025-03-31T08:00:00Z') / 1000, 'iat is the issue time in seconds')
  t.equal(nbf, iat, 'nbf too')

  t.same(payload['@context'], [...CREDENTIAL_CONTEXT], 'VCDM 2.0 then Open Badges 3.0 contexts')
  t.same(payload.type, ['VerifiableCredential', 'OpenBadgeCredential'])
  t.equal(credential.validFrom, '2025-03-31T08:00:00Z', 'validFrom is the issue time, whole seconds')
  t.match(credential, {
    issuer: { id: 'https://rapport.example.org/issuer', type: ['Profile'], name: 'Riverside Training Institute' },
    credentialSubject: {
      type: ['AchievementSubject'],
      achievement: {
        id: 'https://rapport.example.org/achievements/0b8e6f7a-1c2d-4e3f-8a9b-0c1d2e3f4a5b',
        type: ['Achievement'],
        name: 'Certificate in Therapeutic Relationships',
        criteria: { narrative: 'Six observed sessions at Proficient or above in every skill area.' }
      }
    },
    evidence: [{ id: 'https://rapport.example.org/verify/k3J9xQ2mPz7vW4tR8yN5bC', type: ['Evidence'], name: 'Certificate RC-2025-000042' }]
  })
})

t.test('the recipient is a salted email hash and the name, never the plain email', async (t) => {
  const credential = buildOpenBadgeCredential(input({ salt: 'c0ffee' }))
  const [email, name] = credential.credentialSubject.identifier
  const expected = createHash('sha256').update('zoe.nunez@example.org' + 'c0ffee').digest('hex')
  t.same(email, { type: 'IdentityObject', identityHash: `sha256$${expected}`, identityType: 'emailAddress', hashed: true, salt: 'c0ffee' })
  t.same(name, { type: 'IdentityObject', identityHash: 'Zoë Ñúñez', identityType: 'name', hashed: false })
  t.notOk(JSON.stringify(credential).toLowerCase().includes('zoe.nunez@example.org'), 'the address appears nowhere')
  const [a, b] = [buildOpenBadgeCredential(input()), buildOpenBadgeCredential(input())]
  t.not(a.credentialSubject.identifier[0]!.salt, b.credentialSubject.identifier[0]!.salt, 'each credential gets its own salt')
})

t.test('one changed byte, or another key, and verification fails', async (t) => {
  const key = keyIn(t.testdir())
  const jwt = await signCredential(buildOpenBadgeCredential(input()), key)
  const payloadText = Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')
  // Flip a byte inside the name, so the payload stays valid JSON and only the signature can object.
  const forged = tamper(jwt, 1, (bytes) => bytes.indexOf(Buffer.from('Ñúñez')) + 4)
  t.not(Buffer.from(forged.split('.')[1]!, 'base64url').toString('utf8'), payloadText, 'the payload did change')
  await t.rejects(verify(forged, key), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' }, 'a changed payload byte')
  await t.rejects(verify(tamper(jwt, 2, (sig) => sig.length - 1), key), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' }, 'a changed signature byte')
  await t.rejects(verify(tamper(jwt, 2, () => 0), key), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' }, 'another changed signature byte')

  const other = keyIn(t.testdir())
  t.not(other.kid, key.kid, 'another key has another kid')
  await t.rejects(verify(jwt, other), { code: 'ERR_JWKS_NO_MATCHING_KEY' }, 'the other issuer\'s key set has no key for it')
  const impostor: SigningKey = { ...other, kid: key.kid }
  await t.rejects(verify(jwt, impostor), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' }, 'another key under the same kid does not verify it')
  await t.resolves(verify(jwt, key), 'while the right key still does')
})

t.test('without a configured key, one is created in DATA_DIR once and reused', async (t) => {
  const dir = join(t.testdir(), 'nested', 'data')
  const first = keyIn(dir)
  t.equal(first.configured, false, 'flagged as not configured, so the server can warn')
  const file = join(dir, KEY_FILE)
  t.equal(first.file, file)
  t.equal(statSync(file).mode & 0o777, 0o600, 'the key file is readable by its owner only')
  t.match(readFileSync(file, 'utf8'), /^-----BEGIN PRIVATE KEY-----/, 'kept as PKCS#8 PEM')
  const second = keyIn(dir)
  t.equal(second.kid, first.kid, 'a second start reads the same key')
  t.same(second.publicJwk, first.publicJwk)
  t.same(publicJwks(second), { keys: [{ kty: 'OKP', crv: 'Ed25519', x: first.publicJwk.x, kid: first.kid, alg: 'EdDSA', use: 'sig' }] })
  const jwt = await signCredential(buildOpenBadgeCredential(input()), first)
  await t.resolves(verify(jwt, second), 'what the first start signed, the second start\'s key set verifies')
})

t.test('a configured key is accepted as PEM (also with escaped newlines) or as a JWK', async (t) => {
  const { privateKey } = generateKeyPairSync('ed25519')
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  const jwk = JSON.stringify(privateKey.export({ format: 'jwk' }))
  const dir = t.testdir()
  const fromPem = keyIn(dir, pem)
  t.equal(fromPem.configured, true)
  t.equal(fromPem.file, undefined)
  t.equal(keyIn(dir, pem.replace(/\n/g, '\\n')).kid, fromPem.kid, 'a PEM written on one line with \\n')
  t.equal(keyIn(dir, jwk).kid, fromPem.kid, 'the same key as a JWK has the same kid')
  t.throws(() => statSync(join(dir, KEY_FILE)), 'nothing is written to DATA_DIR')
  const jwt = await signCredential(buildOpenBadgeCredential(input()), keyIn(dir, jwk))
  await t.resolves(verify(jwt, fromPem), 'signed with the JWK, verified with the PEM\'s key set')
})

t.test('a malformed or unsuitable configured key is refused, naming the variable', async (t) => {
  const dir = t.testdir()
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  const ed = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' })
  const stranger = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' })
  const cases: Array<[string, string, RegExp]> = [
    ['plain text', 'not a key', /PKCS#8 PEM .* or as a JWK/],
    ['broken JSON', '{"kty":"OKP",', /not valid JSON/],
    ['a public JWK', JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: ed.x }), /Ed25519 private key/],
    ['a JWK whose x is another key\'s', JSON.stringify({ ...ed, x: stranger.x }), /"x" is not the public key/],
    ['a truncated PEM', '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI\n-----END PRIVATE KEY-----', /could not be read/],
    ['an RSA key', rsa, /is rsa; .*Ed25519/]
  ]
  for (const [what, value, why] of cases) {
    t.throws(() => keyIn(dir, value), { message: /CREDENTIAL_SIGNING_KEY/ }, `${what}: the error names the variable`)
    t.throws(() => keyIn(dir, value), { message: why }, `${what}: and says what is wrong`)
  }
})

t.test('configuration: the issuer name has a default and the key is optional', async (t) => {
  const config = loadConfig({})
  t.equal(config.ISSUER_NAME, 'Rapport Certificate Programme')
  t.equal(config.CREDENTIAL_SIGNING_KEY, undefined)
  t.equal(loadConfig({ ISSUER_NAME: 'St Luke\'s Hospice Academy' }).ISSUER_NAME, 'St Luke\'s Hospice Academy')
})
